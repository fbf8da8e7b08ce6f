// modifySessionData under contention: no update lost, no caller given up on, from one instance
// or several; what it costs in round trips; fn's own errors and results under the row lock.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/index.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";
import { type Instance, openInstance, requestFrom } from "./instances.js";

type Counter = { n: number };
const increment = (d: Counter) => ({ n: (d?.n ?? 0) + 1 });

describe.each(availableKinds)("modifySessionData on %s", (kind) => {
  let db: TestDb;
  let a: Instance;
  let b: Instance;
  const clock = testClock();

  beforeAll(async () => {
    db = await createTestDb(kind);
    a = openInstance(db, "A", { now: clock.now, antiCsrf: "none" });
    b = openInstance(db, "B", { now: clock.now, antiCsrf: "none" });
    // Key warm-up, not counted anywhere below.
    await a.sessions.createNewSession({ userId: "warm" }, new Headers());
    await b.sessions.createNewSession({ userId: "warm" }, new Headers());
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  async function start(userId: string): Promise<{ handle: string; onA: Session; onB: Session }> {
    const headers = new Headers();
    const created = await a.sessions.createNewSession({ userId, sessionData: { n: 0 } }, headers);
    const onA = await a.sessions.getSession(requestFrom(headers), new Headers());
    const onB = await b.sessions.getSession(requestFrom(headers), new Headers());
    return { handle: created.getHandle(), onA, onB };
  }

  it("200 concurrent increments from two instances end at exactly 200", async () => {
    const { handle, onA, onB } = await start(`race-${kind}`);
    // Both APIs: the session object and the handle-level call, on both instances.
    const calls = Array.from({ length: 200 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return onA.modifySessionData<Counter>(increment);
        case 1:
          return onB.modifySessionData<Counter>(increment);
        case 2:
          return a.sessions.modifySessionData<Counter>(handle, increment);
        default:
          return b.sessions.modifySessionData<Counter>(handle, increment);
      }
    });
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect((await a.sessions.getSessionInformation(handle))?.sessionData).toEqual({ n: 200 });
    // Every value 1..200 was handed out exactly once: each call saw its own predecessor's write.
    const seen = results.map((r) => (r as PromiseFulfilledResult<Counter>).value.n).sort((x, y) => x - y);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it("uncontended: two round trips (read, conditional write)", async () => {
    const { onA } = await start(`quiet-${kind}`);
    for (let i = 0; i < 5; i++) {
      const before = a.queries.count;
      await onA.modifySessionData<Counter>(increment);
      expect(a.queries.count - before).toBe(2);
    }
    const before = a.queries.count;
    await onA.updateSessionData({ n: 0 });
    expect(a.queries.count - before).toBe(1);
  });

  it("within one instance, concurrent calls queue instead of conflicting: still two round trips each", async () => {
    const { handle } = await start(`queue-${kind}`);
    const before = a.queries.count;
    await Promise.all(Array.from({ length: 50 }, () => a.sessions.modifySessionData<Counter>(handle, increment)));
    expect(a.queries.count - before).toBe(100);
    expect((await a.sessions.getSessionInformation(handle))?.sessionData).toEqual({ n: 50 });
  });

  it("after losing a race to another instance, fn runs again on the fresh data under the row lock", async () => {
    const { onA, onB } = await start(`relock-${kind}`);
    let calls = 0;
    const seenByA: number[] = [];
    const result = await onA.modifySessionData<Counter>(async (d) => {
      calls++;
      seenByA.push(d.n);
      // The first time, B slips in between A's read and A's write.
      if (calls === 1) await onB.modifySessionData<Counter>((x) => ({ n: x.n + 10 }));
      return { n: d.n + 1 };
    });
    expect(seenByA).toEqual([0, 10]);
    expect(result).toEqual({ n: 11 });
    expect(await onB.getSessionData()).toEqual({ n: 11 });

    // Still contended: the next call goes straight to the lock (BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT).
    if (kind === "postgres") {
      const before = a.queries.count;
      await onA.modifySessionData<Counter>(increment);
      expect(a.queries.count - before).toBe(4);
    }
  });

  it("fn's own error reaches the caller as it is, on both paths, and nothing is written", async () => {
    class Refused extends Error {}
    const { onA, onB } = await start(`throws-${kind}`);
    await expect(
      onA.modifySessionData(() => {
        throw new Refused("optimistic path");
      }),
    ).rejects.toBeInstanceOf(Refused);

    let calls = 0;
    await expect(
      onA.modifySessionData<Counter>(async (d) => {
        if (++calls === 1) {
          await onB.modifySessionData<Counter>((x) => ({ n: x.n + 10 }));
          return { n: d.n + 1 };
        }
        throw new Refused("under the lock");
      }),
    ).rejects.toBeInstanceOf(Refused);
    expect(await onA.getSessionData()).toEqual({ n: 10 });
    await expect(onA.modifySessionData(() => undefined)).rejects.toBeInstanceOf(TypeError);
  });

  it("a revoked session: UNAUTHORISED, and a failed call does not block the next in line", async () => {
    const { handle, onA } = await start(`gone-${kind}`);
    await b.sessions.revokeSession(handle);
    const results = await Promise.allSettled([onA.modifySessionData(increment), a.sessions.modifySessionData(handle, increment)]);
    expect(results.map((r) => r.status === "rejected" && (r.reason as { code?: string }).code)).toEqual(["UNAUTHORISED", "UNAUTHORISED"]);
  });

  it("a caller stuck behind a hanging fn gives up after storeTimeoutMs with GENERAL_ERROR", async () => {
    const slow = openInstance(db, "slow", { now: clock.now, antiCsrf: "none", storeTimeoutMs: 100 });
    try {
      const { handle } = await start(`stuck-${kind}`);
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const first = slow.sessions.modifySessionData<Counter>(handle, async (d) => {
        await gate;
        return increment(d);
      });
      const t0 = performance.now();
      await expect(slow.sessions.modifySessionData<Counter>(handle, increment)).rejects.toMatchObject({ code: "GENERAL_ERROR" });
      expect(performance.now() - t0).toBeLessThan(2000);
      release();
      expect(await first).toEqual({ n: 1 });
      // The queue drained: the next call goes through.
      expect(await slow.sessions.modifySessionData<Counter>(handle, increment)).toEqual({ n: 2 });
    } finally {
      await slow.close();
    }
  });
});
