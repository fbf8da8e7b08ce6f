// The store's Postgres backends terminated (pg_terminate_backend) during traffic: calls that
// need the database answer 500 GENERAL_ERROR (never 401), calls that need none keep working,
// the pool recovers without a restart, and no session is lost or corrupted.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardProcess } from "../security/process-guard.js";
import { type Target, createTarget } from "../security/target.js";
import { type FaultDb, NEEDS_POSTGRES, createFaultDb, eventually, failInCiWithoutPostgres, hasPostgres } from "./fixture.js";
import { type User, checkOutcomes, checkSessionsIntact, runTraffic, signIn, step, tally } from "./traffic.js";

failInCiWithoutPostgres();

const drivers = ["postgres", "node-postgres"] as const;

describe.skipIf(!hasPostgres).each(drivers)(
  `backends killed during traffic (${hasPostgres ? "Postgres" : `skipped: ${NEEDS_POSTGRES}`}) on %s`,
  (driver) => {
    guardProcess();
    let fdb: FaultDb;
    let serving: Target;
    let checking: Target;
    let notifying: Target;
    beforeAll(async () => {
      fdb = await createFaultDb({ driver });
      serving = createTarget(
        { db: fdb.db },
        {
          revocation: "none",
          storeTimeoutMs: 2000,
        },
      );
      checking = createTarget(
        { db: fdb.db },
        {
          revocation: "check-database",
          storeTimeoutMs: 2000,
        },
      );
      notifying = createTarget(
        { db: fdb.db },
        {
          revocation: "notify",
          storeTimeoutMs: 2000,
        },
      );
    });
    afterAll(async () => {
      for (const t of [serving, checking, notifying]) await t?.close();
      await fdb?.close();
    });

    it("a kill in the middle of a refresh is a 500 that clears nothing, and the retry succeeds", async () => {
      const [user] = await signIn(serving, 1);
      if (!user) throw new Error("no user");
      const release = await fdb.lockSession(user.handle);
      const pending = step("refresh", user, serving);
      // The refresh is now waiting on the row lock, on one of the pool's backends.
      await eventually(async () => (await fdb.killBackends()) > 0, 2000, "the pool's backend to kill");
      const outcome = await pending;
      await release();
      expect(outcome).toMatchObject({
        status: 500,
        code: "GENERAL_ERROR",
        clearedCookies: false,
      });
      await checkSessionsIntact(serving, [user]);
    });

    it("under repeated kills: no 401, verification without the database never fails, then full recovery", async () => {
      const users = await signIn(serving, 8);
      let stop = false;
      let kills = 0;
      const killer = (async () => {
        const end = Date.now() + 1500;
        while (Date.now() < end) {
          kills += await fdb.killBackends();
          await new Promise((resolve) => setTimeout(resolve, 15));
        }
        stop = true;
      })();
      const outcomes = await runTraffic(
        users,
        ["verify", "write", "verify-db", "refresh", "read", "create", "write"],
        serving,
        checking,
        () => stop,
      );
      await killer;
      const counts = tally(outcomes);
      console.log(`kills: ${kills}, answers: ${JSON.stringify(counts)}`);
      expect(kills).toBeGreaterThan(0);
      checkOutcomes(outcomes);
      // Recovery without a restart: the same objects serve again.
      await eventually(async () => (await step("read", users[0] as User, serving)).status === 200, 10_000, "the pool to reconnect");
      await checkSessionsIntact(serving, users);
      // The notify instance's listener was killed too; it falls back to the database, then recovers.
      await eventually(
        async () => (await step("verify-notify", users[1] as User, serving, notifying)).status === 200,
        10_000,
        "notify instance to answer",
      );
    });
  },
);
