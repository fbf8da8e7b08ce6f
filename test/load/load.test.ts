// The small version of `npm run stress`: concurrent refreshes of one session never look like
// theft, concurrent modifySessionData loses no update, concurrently created sessions are all
// valid and distinct, and a short soak keeps memory flat. Figures are printed.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDb, createTestDb, mainKind } from "../helpers/db.js";
import { guardProcess } from "../security/process-guard.js";
import { type Target, createTarget } from "../security/target.js";
import { concurrentCreates, concurrentModifies, concurrentRefreshes, soak } from "./scenarios.js";

guardProcess();

let db: TestDb;
let target: Target;
beforeAll(async () => {
  db = await createTestDb();
  target = createTarget(db, { storeTimeoutMs: 30_000 });
});
afterAll(async () => {
  await target?.close();
  await db?.close();
});

describe(`load (${mainKind})`, () => {
  it("100 concurrent refreshes of one session: all succeed, 0 thefts, one resulting token", async () => {
    const f = await concurrentRefreshes(target, 100);
    console.log("refresh", JSON.stringify(f));
    expect(f).toMatchObject({ ok: 100, thefts: 0, otherFailures: 0, distinctTokens: 1, followUpOk: true });
  });

  it("100 concurrent modifySessionData: 0 lost updates, 0 failures", async () => {
    const f = await concurrentModifies(target, 100);
    console.log("modify", JSON.stringify(f));
    expect(f).toMatchObject({ ok: 100, failures: 0, finalCount: 100, lostUpdates: 0 });
  });

  it("500 sessions created at once: all valid, distinct and stored", async () => {
    const f = await concurrentCreates(target, 500);
    console.log("create", JSON.stringify(f));
    expect(f).toMatchObject({
      created: 500,
      failures: 0,
      distinctHandles: 500,
      distinctAccessTokens: 500,
      distinctRefreshTokens: 500,
      verified: 500,
      stored: 500,
    });
  });

  it("a short soak keeps the heap flat", async () => {
    const f = await soak(target, 4, 8);
    console.log("soak", JSON.stringify({ ...f, samples: f.samples.length }));
    expect(f.failures).toBe(0);
    expect(f.operations).toBeGreaterThan(50);
    // Loose on purpose in npm test (a few seconds, other tests running); npm run stress runs minutes.
    expect(f.heapEndMb - f.heapStartMb).toBeLessThan(40);
  });
});
