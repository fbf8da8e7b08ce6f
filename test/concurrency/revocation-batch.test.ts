// Revocation "notify" coalesces concurrent single revocations of one instance into one statement
// (src/core/revocation-batch.ts): fewer statements, each caller its own result or error, every
// instance hears every handle, the log stays bounded, a lone revocation is the one statement.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSessionError } from "../../src/index.js";
import { drizzleStore } from "../../src/storage/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { type Instance, openLivePair, requestFrom, uniqueChannel, until, verifyCounted } from "./instances.js";

const TTL = 60;

describe.each(availableKinds)("coalesced revocations on %s", (kind) => {
  let db: TestDb;
  let a: Instance;
  let b: Instance;
  const clock = testClock();

  beforeAll(async () => {
    db = await createTestDb(kind);
    const options = {
      revocation: "notify" as const,
      notifyChannel: uniqueChannel(),
      now: clock.now,
      antiCsrf: "none" as const,
      accessTokenTtl: TTL,
    };
    [a, b] = await openLivePair(db, options);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  async function signIn(count: number, user: string): Promise<{ handles: string[]; requests: Request[] }> {
    const handles: string[] = [];
    const requests: Request[] = [];
    for (let i = 0; i < count; i++) {
      const headers = new Headers();
      handles.push((await a.sessions.createNewSession({ userId: `${user}-${i}` }, headers)).getHandle());
      requests.push(requestFrom(headers));
    }
    return { handles, requests };
  }

  const logCount = async (handles: readonly string[]) => {
    const wanted = new Set(handles);
    return (await drizzleStore(db.db).revocationsSince(0, new Date(0))).filter((e) => wanted.has(e.handle)).length;
  };

  it("a lone revocation is the single statement, at once", async () => {
    const { handles } = await signIn(1, "lone");
    a.queries.reset();
    expect(await a.sessions.revokeSession(handles[0] as string)).toBe(true);
    expect(a.queries.count).toBe(1);
  });

  it("20 concurrent single revocations: fewer statements, each its own answer, every instance hears every handle", async () => {
    const n = 20;
    const { handles, requests } = await signIn(n, "many");
    for (const r of requests) expect(await verifyCounted(b, r)).toEqual({ result: "ok", queries: 0 });
    a.queries.reset();
    // The first goes out alone at once; the rest, arriving while it is written, share the next
    // statement; the repeated handle waits for a third and, as a second call would, finds nothing.
    const results = await Promise.all([...handles.map((h) => a.sessions.revokeSession(h)), a.sessions.revokeSession(handles[3] as string)]);
    expect(results.slice(0, n)).toEqual(handles.map(() => true));
    expect(results[n]).toBe(false);
    expect(a.queries.count, a.queries.log.join("\n")).toBeLessThanOrEqual(3);
    expect(await logCount(handles)).toBe(n);
    for (const r of requests) expect(await verifyCounted(a, r)).toEqual({ result: "UNAUTHORISED", queries: 0 });
    await until(
      async () => {
        for (const r of requests) if ((await verifyCounted(b, r)).result !== "UNAUTHORISED") return false;
        return true;
      },
      5000,
      "B to hear every revoked handle",
    );
    for (const r of requests) expect(await verifyCounted(b, r)).toEqual({ result: "UNAUTHORISED", queries: 0 });
  });

  it("a failed batch rejects every waiter with its own 500, and the next revocations are written", async () => {
    const n = 8;
    const { handles, requests } = await signIn(n, "failing");
    await db.exec("ALTER TABLE sessionkit_revocations RENAME TO sessionkit_revocations_away");
    let settled: PromiseSettledResult<boolean>[];
    try {
      settled = await Promise.allSettled(handles.map((h) => a.sessions.revokeSession(h)));
    } finally {
      await db.exec("ALTER TABLE sessionkit_revocations_away RENAME TO sessionkit_revocations");
    }
    const errors = settled.map((s) => (s.status === "rejected" ? s.reason : undefined));
    for (const error of errors) {
      expect(isSessionError(error) && error.code === "GENERAL_ERROR" && error.status === 500, String(error)).toBe(true);
      expect(String((error as Error).cause)).toMatch(/sessionkit_revocations/);
    }
    expect(new Set(errors).size).toBe(n);
    // Nothing was revoked (the statement rolled back) and nothing is stuck.
    for (const r of requests) expect((await verifyCounted(a, r)).result).toBe("ok");
    expect(await Promise.all(handles.map((h) => a.sessions.revokeSession(h)))).toEqual(handles.map(() => true));
  });

  it("the batches prune the log: entries past the window are gone after the next revocations", async () => {
    const old = await signIn(30, "old");
    await Promise.all(old.handles.map((h) => a.sessions.revokeSession(h)));
    expect(await logCount(old.handles)).toBe(30);
    clock.advance((TTL + 61) * 1000);
    const fresh = await signIn(20, "fresh");
    await Promise.all(fresh.handles.map((h) => a.sessions.revokeSession(h)));
    // Each statement prunes twice what it logs and 16 more, past the window only.
    expect(await logCount(old.handles)).toBe(0);
    expect(await logCount(fresh.handles)).toBe(20);
  });
});
