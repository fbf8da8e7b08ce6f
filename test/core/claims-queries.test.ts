// The database cost of every claims call, counted on the driver (after key warm-up), on every
// driver: getClaim and assertClaims 0, refreshClaim 1, refreshClaimsForUser 1 however many
// sessions the user has (with notify the next request re-issues with 0), sign-in as without
// claims, a refresh 1 (2 when it re-fetches a stale claim and keeps the new value).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RevocationMode, type SessionError, claim, createSessions, freshSession } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

describe.each(availableKinds)("claims query counts on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());

  const roles = claim<string[]>("st-role", { fetch: () => ["member"], maxAgeSeconds: 300 });

  async function warmSessions(revocation: RevocationMode, withClaims: boolean) {
    const clock = testClock();
    const sessions = createSessions({
      store: drizzleStore(db.db),
      now: clock.now,
      revocation,
      cookies: { secure: false },
      notifyChannel: `cq_${Math.random().toString(36).slice(2, 10)}`,
      ...(withClaims ? { claims: [roles] } : {}),
    });
    const probe = new Headers();
    await sessions.createNewSession({ userId: "warm-up" }, probe);
    if (revocation === "notify") {
      await sessions.revokeSession("00000000-0000-4000-8000-000000000000");
      // Live-wait (not a fixed sleep, which CPU load outlasts): verify a probe until it costs no query.
      const start = performance.now();
      for (;;) {
        const before = db.queries.count;
        await sessions.getSession(cookieRequest(probe), new Headers());
        if (db.queries.count === before) break;
        if (performance.now() - start > 10_000) throw new Error("the revocation listener did not go live");
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    return { sessions, clock };
  }

  async function count<T>(fn: () => Promise<T>): Promise<{ value: T; queries: number }> {
    db.queries.reset();
    const value = await fn();
    return { value, queries: db.queries.count };
  }

  const cookieRequest = (headers: Headers, path = "/x") =>
    new Request(`http://localhost${path}`, {
      method: path === "/x" ? "GET" : "POST",
      headers: {
        rid: "session",
        // The last Set-Cookie of each name wins, as in a browser.
        cookie: [...new Map(headers.getSetCookie().map((l) => [l.split("=")[0], l.split(";")[0]])).values()].join("; "),
      },
    });

  it("sign-in and refresh cost what they cost without claims; re-fetching a stale claim at a refresh adds one (keeping the value)", async () => {
    const plain = await warmSessions("none", false);
    const claimed = await warmSessions("none", true);
    const signInPlain = await count(() => plain.sessions.createNewSession({ userId: "p" }, new Headers()));
    const signInClaimed = await count(() => claimed.sessions.createNewSession({ userId: "c" }, new Headers()));
    expect(signInClaimed.queries).toBe(signInPlain.queries);

    const first = new Headers();
    await claimed.sessions.createNewSession({ userId: "c2" }, first);
    claimed.clock.advance(60_000);
    const kept = new Headers();
    const refreshKept = await count(() => claimed.sessions.refreshSession(cookieRequest(first, "/auth/session/refresh"), kept));
    expect(refreshKept.queries).toBe(1);
    claimed.clock.advance(301_000); // the claim is now stale: fetched again, and kept with the session
    const refreshStale = await count(() => claimed.sessions.refreshSession(cookieRequest(kept, "/auth/session/refresh"), new Headers()));
    expect(refreshStale.queries).toBe(2);
    await plain.sessions.close();
    await claimed.sessions.close();
  });

  it("getClaim and assertClaims 0, refreshClaim 1, refreshClaimsForUser 1 for any number of sessions", async () => {
    for (const revocation of ["none", "notify"] as const) {
      const { sessions, clock } = await warmSessions(revocation, true);
      const headers = new Headers();
      const userId = `many-${revocation}`;
      const session = await sessions.createNewSession({ userId }, headers);
      for (let i = 0; i < 4; i++) await sessions.createNewSession({ userId }, new Headers());

      const read = await count(async () => session.getClaim(roles));
      expect(read).toEqual({ value: ["member"], queries: 0 });
      expect((await count(async () => session.assertClaims([roles.includes("member"), freshSession(60)]))).queries).toBe(0);
      const failed = await count(async () => {
        try {
          session.assertClaims([roles.includes("admin")]);
        } catch (error) {
          return (error as SessionError).code;
        }
        return "passed";
      });
      expect(failed).toEqual({ value: "INVALID_CLAIM", queries: 0 });

      const refetched = await count(() => session.refreshClaim(roles));
      expect(refetched).toEqual({ value: ["member"], queries: 1 });

      clock.advance(1); // the call marks values fetched before it
      const announced = await count(() => sessions.refreshClaimsForUser(userId));
      expect(announced.value).toHaveLength(5);
      expect(announced.queries).toBe(1);
      if (revocation === "notify") {
        // No wait for the NOTIFY: refreshClaimsForUser notes it on this instance before it returns
        // (claims-refresh.ts). The next request re-issues the token from memory: 0 queries.
        const next = new Headers();
        const verified = await count(() => sessions.getSession(cookieRequest(headers), next));
        expect(verified.queries).toBe(0);
        expect(next.get("front-token")).toBeTruthy();
      }
      await sessions.close();
    }
  });
});
