// A slow database, played by a row lock another connection holds (SELECT … FOR UPDATE in an
// open transaction): `storeTimeoutMs` turns a stuck call into a 500, never a hang and never a
// 401; calls that do not touch the locked row go on; the session survives the episode.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardProcess } from "../security/process-guard.js";
import { type Target, createTarget } from "../security/target.js";
import { type FaultDb, NEEDS_POSTGRES, createFaultDb, failInCiWithoutPostgres, hasPostgres } from "./fixture.js";
import { type User, checkSessionsIntact, signIn, step } from "./traffic.js";

failInCiWithoutPostgres();

const STORE_TIMEOUT_MS = 300;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe.skipIf(!hasPostgres)(`slow database: a held row lock (${hasPostgres ? "Postgres" : `skipped: ${NEEDS_POSTGRES}`})`, () => {
  guardProcess();
  let fdb: FaultDb;
  let guarded: FaultDb;
  let t: Target;
  let g: Target;
  beforeAll(async () => {
    // The second pool has Postgres cancel a statement before sessionkit gives up on it.
    [fdb, guarded] = await Promise.all([createFaultDb(), createFaultDb({ connection: { statement_timeout: STORE_TIMEOUT_MS - 100 } })]);
    t = createTarget({ db: fdb.db }, { storeTimeoutMs: STORE_TIMEOUT_MS });
    g = createTarget({ db: guarded.db }, { storeTimeoutMs: STORE_TIMEOUT_MS });
  });
  afterAll(async () => {
    await t?.close();
    await g?.close();
    await fdb?.close();
    await guarded?.close();
  });

  it("writes to the locked session are 500 within storeTimeoutMs; reads and verification go on", async () => {
    const [user, bystander] = (await signIn(t, 2)) as [User, User];
    const release = await fdb.lockSession(user.handle);
    try {
      for (const op of ["refresh", "write"] as const) {
        const { value, ms } = await timed(() => step(op, user, t));
        expect(value, op).toMatchObject({ status: 500, code: "GENERAL_ERROR", clearedCookies: false });
        expect(ms, op).toBeLessThan(STORE_TIMEOUT_MS + 700);
      }
      const modify = await timed(() => user.client.call("/modify", { method: "POST" }));
      expect(modify.value.status).toBe(500);
      expect((await step("verify", user, t)).status).toBe(200);
      expect((await step("read", user, t)).status).toBe(200);
      expect((await step("write", bystander, t)).status).toBe(200);
      expect((await step("refresh", bystander, t)).status).toBe(200);
    } finally {
      await release();
    }
    // The timed-out UPDATEs were not cancelled: once the lock went they ran. The refresh retry
    // presents the token they rotated away, inside the grace window, and gets the current one.
    await checkSessionsIntact(t, [user, bystander]);
  });

  it("a pool exhausted by stuck statements answers 500 in time, and recovers", async () => {
    const users = await signIn(t, 6);
    const locks = await Promise.all(users.map((u) => fdb.lockSession(u.handle)));
    try {
      const results = await Promise.all(users.map((u) => timed(() => step("write", u, t))));
      for (const { value, ms } of results) {
        expect(value.status).toBe(500);
        expect(ms).toBeLessThan(STORE_TIMEOUT_MS + 1000);
      }
      // Queued behind the stuck statements, a read times out too, but verification needs no pool.
      expect((await step("verify", users[0] as User, t)).status).toBe(200);
    } finally {
      for (const release of locks) await release();
    }
    await checkSessionsIntact(t, users);
  });

  it("with statement_timeout below storeTimeoutMs a timed-out refresh never commits late", async () => {
    const [user] = (await signIn(g, 1)) as [User];
    const release = await guarded.lockSession(user.handle);
    try {
      expect(await step("refresh", user, g)).toMatchObject({ status: 500, code: "GENERAL_ERROR" });
    } finally {
      await release();
    }
    // Long after the grace window the old token is still the current one: nothing was rotated.
    g.clock.now += 60_000;
    expect((await user.client.refresh()).status).toBe(200);
    await checkSessionsIntact(g, [user]);
  });

  // KNOWN LIMIT (docs/security.md, "Faults"): without statement_timeout the UPDATE of a refresh
  // that timed out still commits once the lock goes. If the client retries only after the grace
  // window, its token looks rotated away and the session is revoked as theft. Fixing it needs the
  // rotated token to stay pending until the client uses its successor (as SuperTokens does), a
  // change to lifecycle.ts. Marked `fails` so it turns red, on purpose, the day that lands.
  it.fails("KNOWN LIMIT: a refresh that timed out and committed late, retried after the grace window, is taken for theft", async () => {
    const [user] = (await signIn(t, 1)) as [User];
    const release = await fdb.lockSession(user.handle);
    expect(await step("refresh", user, t)).toMatchObject({ status: 500 });
    t.clock.now += 11_000;
    await release();
    await checkSessionsIntact(t, [user]);
  });
});
