// revocation: "notify" across instances: a revocation on one instance is honoured on every other
// within 100 ms of the call's return, while verification stays at zero queries.

import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import type { AnyPgDatabase } from "../../src/storage/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import {
  type Instance,
  openLivePair,
  openInstance,
  requestFrom,
  summary,
  uniqueChannel,
  verify,
  verifyCounted,
  waitLive,
} from "./instances.js";

/** The promise in API.md, held by the 95th percentile of many samples. */
const DEADLINE_MS = 100;
/**
 * The bound for every single sample. On a 2-core machine shared with other suites (load 14)
 * one sample in ~100 took 118 ms: Postgres backends and this process waiting for a CPU, not
 * a lost notice (which would never arrive: the watcher gives up after 2 s).
 */
const STALL_MS = 500;

/** Polls `instance` (memory only, yielding to I/O between checks) until it rejects `request`; returns when. */
async function rejectedAt(
  instance: Instance,
  request: Request,
  deadlineMs = 2000,
): Promise<{ at: number; accepted: number; queries: number }> {
  const start = performance.now();
  let accepted = 0;
  let queries = 0;
  for (;;) {
    const r = await verifyCounted(instance, request);
    queries += r.queries;
    if (r.result !== "ok") return { at: performance.now(), accepted, queries };
    accepted++;
    if (performance.now() - start > deadlineMs) throw new Error(`${instance.name} still accepts the revoked token`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe.each(availableKinds)("revocation notify across instances on %s", (kind) => {
  let db: TestDb;
  let a: Instance;
  let b: Instance;
  const clock = testClock();
  const delays: number[] = [];

  beforeAll(async () => {
    db = await createTestDb(kind);
    const options = { revocation: "notify" as const, notifyChannel: uniqueChannel(), now: clock.now, antiCsrf: "none" as const };
    [a, b] = await openLivePair(db, options);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
    if (delays.length > 0) console.log(`[${kind}] revocation delay A → B after revokeSession returned (ms):`, summary(delays));
  });

  it("revokeSession on A: B rejects the token within 100 ms (p95 of 30), and accepted it before with zero queries", async () => {
    const rounds = 30;
    for (let i = 0; i < rounds; i++) {
      const headers = new Headers();
      const s = await a.sessions.createNewSession({ userId: `rev-${kind}-${i}` }, headers);
      const request = requestFrom(headers);
      for (let k = 0; k < 3; k++) expect(await verifyCounted(b, request)).toEqual({ result: "ok", queries: 0 });

      const watching = rejectedAt(b, request);
      // Let the watcher take its first look before revoking.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await a.sessions.revokeSession(s.getHandle())).toBe(true);
      const returned = performance.now();
      const seen = await watching;
      // Negative: B heard the notice before A's call had even returned.
      delays.push(Math.max(0, seen.at - returned));
      expect(seen.queries).toBe(0);
      expect(seen.accepted).toBeGreaterThan(0);
      expect(seen.at - returned).toBeLessThan(STALL_MS);
      expect(await verifyCounted(b, request)).toEqual({ result: "UNAUTHORISED", queries: 0 });
    }
    expect(summary(delays).p95).toBeLessThan(DEADLINE_MS);
  });

  it("revokeAllSessionsForUser on A: every session of the user is rejected on B", async () => {
    const requests: Request[] = [];
    for (let i = 0; i < 3; i++) {
      const headers = new Headers();
      await a.sessions.createNewSession({ userId: `user-wide-${kind}` }, headers);
      requests.push(requestFrom(headers));
    }
    const bystander = new Headers();
    await a.sessions.createNewSession({ userId: `bystander-${kind}` }, bystander);
    for (const r of requests) expect(await verifyCounted(b, r)).toEqual({ result: "ok", queries: 0 });

    const watching = requests.map((r) => rejectedAt(b, r));
    expect(await a.sessions.revokeAllSessionsForUser(`user-wide-${kind}`)).toHaveLength(3);
    const returned = performance.now();
    for (const seen of await Promise.all(watching)) {
      expect(seen.queries).toBe(0);
      expect(seen.at - returned).toBeLessThan(STALL_MS);
    }
    expect(await verifyCounted(b, requestFrom(bystander))).toEqual({ result: "ok", queries: 0 });
  });

  it("theft detected on A: B rejects the session's current access token", async () => {
    const first = new Headers();
    await a.sessions.createNewSession({ userId: `theft-${kind}` }, first);
    const stolen = requestFrom(first, "POST");
    // The legitimate client refreshes; its new access token works on B.
    const second = new Headers();
    await a.sessions.refreshSession(stolen, second);
    const current = requestFrom(second);
    expect(await verifyCounted(b, current)).toEqual({ result: "ok", queries: 0 });

    // Later the thief replays the rotated-away refresh token.
    clock.advance(11_000);
    const watching = rejectedAt(b, current);
    await expect(a.sessions.refreshSession(stolen, new Headers())).rejects.toMatchObject({ code: "TOKEN_THEFT_DETECTED" });
    const returned = performance.now();
    const seen = await watching;
    expect(seen.queries).toBe(0);
    expect(seen.at - returned).toBeLessThan(STALL_MS);
  });

  it("a session's own revokeSession() on B is honoured on A", async () => {
    const headers = new Headers();
    await a.sessions.createNewSession({ userId: `self-${kind}` }, headers);
    const request = requestFrom(headers);
    const session = await b.sessions.getSession(request, new Headers());
    const watching = rejectedAt(a, request);
    await session.revokeSession();
    const returned = performance.now();
    expect((await watching).at - returned).toBeLessThan(STALL_MS);
    expect(await verify(b, request)).toBe("UNAUTHORISED");
  });

  it("a new instance reads the revocation log before trusting its memory", async () => {
    const headers = new Headers();
    const s = await a.sessions.createNewSession({ userId: `late-${kind}` }, headers);
    await a.sessions.revokeSession(s.getHandle());
    const c = openInstance(db, "C", { revocation: "notify", notifyChannel: uniqueChannel(), now: clock.now, antiCsrf: "none" });
    try {
      // Before its listener is live C asks the database; afterwards it knows from the log.
      expect(await verify(c, requestFrom(headers))).toBe("UNAUTHORISED");
      const probe = new Headers();
      await a.sessions.createNewSession({ userId: "probe-c" }, probe);
      await waitLive(c, requestFrom(probe));
      expect(await verifyCounted(c, requestFrom(headers))).toEqual({ result: "UNAUTHORISED", queries: 0 });
    } finally {
      await c.close();
    }
  });
});

describe("revocation notify on a store that cannot LISTEN", () => {
  it("fails at createSessions instead of retrying in the background", () => {
    // A Drizzle driver sessionkit does not know is refused earlier, by drizzleStore (test/core/drivers.test.ts);
    // a store of your own without `listen` is refused here. The pool never connects.
    const pool = new pg.Pool({ connectionString: "postgres://nobody@127.0.0.1:1/none" });
    const store = { ...drizzleStore(drizzleNodePg(pool) as unknown as AnyPgDatabase), listen: undefined };
    void pool.end();
    expect(() => createSessions({ store, revocation: "notify" })).toThrow(/LISTEN/);
    expect(() => createSessions({ store, revocation: "check-database" })).not.toThrow();
  });
});
