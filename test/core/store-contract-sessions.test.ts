// The SessionStore contract on every driver we ship (store-contract-setup.ts), the session row:
// create and read, live handles, session data and its versions, the JWT payload, refresh rotation.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionStore } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { T0, at, contract } from "./store-contract-setup.js";

describe.each(availableKinds)("store contract on %s", (kind) => {
  let db: TestDb;
  let store: SessionStore;
  beforeAll(async () => {
    db = await createTestDb(kind);
    store = drizzleStore(db.db);
  });
  afterAll(() => db.close());
  const { one, create } = contract(() => ({ db, store }));

  it("creates and reads a session, with JSON kept exactly", async () => {
    const h = await create("alice");
    const row = await one(() => store.getSession(h, at(1)));
    expect(row).toEqual({
      handle: h,
      userId: "alice",
      jwtPayload: { role: "x", nested: { a: [1, "two", null] } },
      sessionData: { cart: ["a"] },
      createdAt: T0,
      expiresAt: at(3600),
    });
    expect(await one(() => store.sessionExists(h, at(1)))).toBe(true);
    expect(await one(() => store.getSession(h, at(3600)))).toBeUndefined();
    expect(await one(() => store.sessionExists(h, at(3601)))).toBe(false);
    expect(await one(() => store.getSession("missing", at(1)))).toBeUndefined();
  });

  it("tells which of many handles are live sessions, in one round trip however many", async () => {
    const a = await create("erin");
    const b = await create("erin", 10);
    const gone = await create("erin");
    await store.revoke({ by: { handle: gone }, now: at(1) });
    const many = [a, b, gone, "missing", 'it\'s "quoted"', ...Array.from({ length: 20_000 }, (_, i) => `absent-${i}`)];
    expect((await one(() => store.liveHandles(many, at(5)))).sort()).toEqual([a, b].sort());
    expect(await one(() => store.liveHandles([a, b], at(10)))).toEqual([a]);
    expect(await store.liveHandles([], at(1))).toEqual([]);
  });

  it("stores any JSON as session data, including scalars and unicode", async () => {
    const h = await create();
    for (const value of ["text", 42, true, null, [1, { ü: "🎉" }], { quote: "\"'\\" }]) {
      expect(await one(() => store.setSessionData(h, value, at(1)))).toBe(true);
      expect((await one(() => store.getSessionData(h, at(1))))?.data).toEqual(value);
    }
  });

  it("versions session data for compare-and-set", async () => {
    const h = await create();
    const first = await one(() => store.getSessionData(h, at(1)));
    expect(first?.version).toBe(0);
    expect(await one(() => store.setSessionData(h, { v: 1 }, at(1), 0))).toBe(true);
    expect(await one(() => store.setSessionData(h, { v: 2 }, at(1), 0))).toBe(false);
    expect(await one(() => store.getSessionData(h, at(1)))).toEqual({ data: { v: 1 }, version: 1 });
    expect(await one(() => store.setSessionData(h, { v: 3 }, at(1)))).toBe(true);
    expect((await one(() => store.getSessionData(h, at(1))))?.version).toBe(2);
    expect(await one(() => store.setSessionData(h, {}, at(7200)))).toBe(false);
  });

  it("replaces the JWT payload of live sessions only", async () => {
    const h = await create();
    expect(await one(() => store.setJWTPayload(h, { name: "Ada" }, at(1)))).toEqual({ remember: true });
    expect((await store.getSession(h, at(1)))?.jwtPayload).toEqual({ name: "Ada" });
    expect(await one(() => store.setJWTPayload(h, {}, at(3600)))).toBeUndefined();
  });

  it("rotates the refresh hash only when the presented one is current", async () => {
    const h = await create();
    const input = (presented: string, next: string, now: Date) => ({
      handle: h,
      presentedHash: presented,
      nextHash: next,
      nextNonce: `nonce-${next}`,
      nextGeneration: 1,
      now,
      expiresAt: at(9000),
    });
    const rotated = await one(() => store.rotateRefresh(input(`hash-${h}`, "h1", at(10))));
    expect(rotated).toMatchObject({
      userId: "user",
      refreshHash: "h1",
      previousRefreshHash: `hash-${h}`,
      refreshNonce: "nonce-h1",
      refreshGeneration: 1,
      rotatedAt: at(10),
      expiresAt: at(9000),
      createdAt: T0,
    });
    // The old hash again: nothing changes, the current state comes back.
    const again = await one(() => store.rotateRefresh(input(`hash-${h}`, "h2", at(11))));
    expect(again).toMatchObject({ refreshHash: "h1", previousRefreshHash: `hash-${h}`, rotatedAt: at(10), refreshGeneration: 1 });
    expect(await one(() => store.rotateRefresh(input("h1", "h3", at(9001))))).toBeUndefined();
  });

  it("rotates on a token of a generation the row never reached (a rotation the database lost)", async () => {
    const h = await create();
    const input = (presented: string, next: string, nextGeneration: number) => ({
      handle: h,
      presentedHash: presented,
      nextHash: next,
      nextNonce: `nonce-${next}`,
      nextGeneration,
      now: at(10),
      expiresAt: at(9000),
    });
    // The row is at generation 0; a token of generation 1 (its rotation lost) rotates it to 2.
    expect(await one(() => store.rotateRefresh(input("lost-h1", "h2", 2)))).toMatchObject({
      refreshHash: "h2",
      previousRefreshHash: "lost-h1",
      refreshGeneration: 2,
    });
    // Older or equal generations with an unknown hash change nothing: the caller sees theft.
    expect(await one(() => store.rotateRefresh(input(`hash-${h}`, "h9", 1)))).toMatchObject({ refreshHash: "h2", refreshGeneration: 2 });
    expect(await one(() => store.rotateRefresh(input("other-gen2", "h9", 3)))).toMatchObject({ refreshHash: "h2", refreshGeneration: 2 });
  });
});
