// Postgres unreachable for a while, then back, played by a TCP proxy between the pool and the
// shared server (which we must not stop): resets (like a stopped server) and a black hole (like
// a partition). Same promises as for killed backends, plus: the outage never hangs a request
// beyond storeTimeoutMs.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardProcess } from "../security/process-guard.js";
import { type Target, createTarget } from "../security/target.js";
import { type FaultDb, NEEDS_POSTGRES, createFaultDb, eventually, failInCiWithoutPostgres, hasPostgres } from "./fixture.js";
import { type Op, type Outcome, type User, checkOutcomes, checkSessionsIntact, signIn, step, tally } from "./traffic.js";

failInCiWithoutPostgres();

const STORE_TIMEOUT_MS = 400;
const DATABASE_OPS: Op[] = ["write", "read", "refresh", "verify-db", "create"];

describe.skipIf(!hasPostgres)(`Postgres unreachable, then back (${hasPostgres ? "TCP proxy" : `skipped: ${NEEDS_POSTGRES}`})`, () => {
  guardProcess();
  let fdb: FaultDb;
  let serving: Target;
  let checking: Target;
  let notifying: Target;
  let users: User[];
  beforeAll(async () => {
    fdb = await createFaultDb({ viaProxy: true });
    const store = { db: fdb.db };
    serving = createTarget(store, {
      revocation: "none",
      storeTimeoutMs: STORE_TIMEOUT_MS,
    });
    checking = createTarget(store, {
      revocation: "check-database",
      storeTimeoutMs: STORE_TIMEOUT_MS,
    });
    notifying = createTarget(store, {
      revocation: "notify",
      storeTimeoutMs: STORE_TIMEOUT_MS,
    });
    users = await signIn(serving, 6);
    // Every instance has loaded its keys before the outage, as a running server would have.
    for (const t of [checking, notifying]) await t.sessions.jwks();
  });
  afterAll(async () => {
    for (const t of [serving, checking, notifying]) await t?.close();
    await fdb?.close();
  });

  /** Every user tries every kind of call, round after round, for as long as the outage lasts. */
  async function duringOutage(lastsMs: number): Promise<{ outcomes: Outcome[]; slowestMs: number }> {
    const outcomes: Outcome[] = [];
    let slowestMs = 0;
    const end = Date.now() + lastsMs;
    while (Date.now() < end)
      await round(outcomes, (ms) => {
        slowestMs = Math.max(slowestMs, ms);
      });
    return { outcomes, slowestMs };
  }

  async function round(outcomes: Outcome[], took: (ms: number) => void): Promise<void> {
    await Promise.all(
      users.map(async (user) => {
        for (const op of ["verify", ...DATABASE_OPS, "verify"] as Op[]) {
          if (op === "verify-db") outcomes.push(await step("verify-notify", user, serving, notifying));
          const started = performance.now();
          const o = await step(op, user, serving, checking);
          took(performance.now() - started);
          outcomes.push(o);
        }
      }),
    );
  }

  for (const mode of ["refuse", "blackhole"] as const) {
    it(`${mode}: database calls are 500 within storeTimeoutMs, verification keeps working, all recovers`, async () => {
      const proxy = fdb.proxy;
      if (!proxy) throw new Error("no proxy");
      proxy.cut(mode);
      const { outcomes, slowestMs } = await duringOutage(2000);
      proxy.restore();
      console.log(`${mode}: slowest ${Math.round(slowestMs)} ms, answers ${JSON.stringify(tally(outcomes))}`);
      checkOutcomes(outcomes);
      // "notify" needs the database only while its listener is known to be down: after a reset
      // it asks (500); in a silent black hole it trusts its revocation set until the heartbeat
      // notices. Either way never a 401.
      if (mode === "refuse") expect(outcomes.filter((o) => o.op === "verify-notify").every((o) => o.status === 500)).toBe(true);
      for (const op of DATABASE_OPS) {
        expect(
          outcomes.filter((o) => o.op === op).every((o) => o.status === 500),
          `${op} during the outage`,
        ).toBe(true);
      }
      // storeTimeoutMs bounds every call; refresh and create make two store calls at most.
      expect(slowestMs).toBeLessThan(2 * STORE_TIMEOUT_MS + 1000);
      await eventually(async () => (await step("read", users[0] as User, serving)).status === 200, 10_000, "the pool to reconnect");
      await eventually(
        async () => (await step("verify-notify", users[0] as User, serving, notifying)).status === 200,
        10_000,
        "notify instance to answer",
      );
      await checkSessionsIntact(serving, users);
    });
  }
});
