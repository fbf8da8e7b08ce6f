// refreshClaimsForUser under revocation "notify": instance A's call reaches instance B's next
// request through the existing channel (a new access token with fresh values), and every other
// request on B costs 0 queries (counted).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claim } from "../../src/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { type Instance, openLivePair, requestFrom, uniqueChannel, until } from "./instances.js";

describe.each(availableKinds)("refreshClaimsForUser across instances on %s", (kind) => {
  let db: TestDb;
  let a: Instance;
  let b: Instance;
  const clock = testClock();
  const table = new Map<string, string[]>([["u1", []]]);
  const roles = claim<string[]>("st-role", { fetch: (userId) => table.get(userId) ?? [] });

  beforeAll(async () => {
    db = await createTestDb(kind);
    const options = {
      revocation: "notify" as const,
      notifyChannel: uniqueChannel(),
      now: clock.now,
      antiCsrf: "none" as const,
      claims: [roles],
    };
    [a, b] = await openLivePair(db, options);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  it("reaches B's next request with 0 queries per request, and a new token on that response", async () => {
    const signIn = new Headers();
    await a.sessions.createNewSession({ userId: "u1" }, signIn);
    const request = () => requestFrom(signIn);
    const before = b.queries.count;
    for (let i = 0; i < 20; i++) {
      const s = await b.sessions.getSession(request(), new Headers());
      expect(s.getClaim(roles)).toEqual([]);
    }
    expect(b.queries.count - before).toBe(0);

    table.set("u1", ["admin"]);
    clock.advance(1);
    await a.sessions.refreshClaimsForUser("u1");
    // The notice arrives asynchronously: poll B (each poll is a request; none may query).
    const polled = b.queries.count;
    let response = new Headers();
    await until(
      async () => {
        response = new Headers();
        const s = await b.sessions.getSession(request(), response);
        return (s.getClaim(roles) ?? []).includes("admin");
      },
      5000,
      "B to see the fresh claim",
    );
    expect(b.queries.count - polled).toBe(0);
    expect(response.getSetCookie().some((line) => line.startsWith("sAccessToken="))).toBe(true);
    console.log(`refreshClaimsForUser across instances (${kind}): 0 queries on B over ${20} requests before and the polls after`);
  });
});
