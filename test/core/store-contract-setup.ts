// Shared by the store-contract-*.test.ts files (the SessionStore contract, run on every driver we
// ship: each method's meaning, and that each is exactly one round trip): the times and handles
// they use, one(fn) that asserts a single statement, and create() for a session to work on.

import { expect } from "vitest";
import type { SessionStore } from "../../src/index.js";
import type { TestDb } from "../helpers/db.js";

export const T0 = new Date("2026-05-01T00:00:00Z");
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
let n = 0;
export const handle = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

/** Helpers on the describe block's database and store (read when called: they are set in its beforeAll). */
export function contract(current: () => { db: TestDb; store: SessionStore }) {
  async function one<T>(fn: () => Promise<T>): Promise<T> {
    const { db } = current();
    db.queries.reset();
    const value = await fn();
    expect(db.queries.count, db.queries.log.join("\n")).toBe(1);
    return value;
  }

  async function create(userId = "user", expiresIn = 3600) {
    const { store } = current();
    const h = handle();
    await one(() =>
      store.createSession({
        handle: h,
        userId,
        jwtPayload: { role: "x", nested: { a: [1, "two", null] } },
        sessionData: { cart: ["a"] },
        refreshHash: `hash-${h}`,
        createdAt: T0,
        expiresAt: at(expiresIn),
      }),
    );
    return h;
  }
  return { one, create };
}
