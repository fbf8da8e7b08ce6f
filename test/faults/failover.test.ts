// Failover: a primary and a streaming standby (pg_basebackup, synchronous and asynchronous),
// one app on a multi-host URL with target_session_attrs=read-write, traffic running (sign-ins,
// refreshes, verifications, session data), the primary killed (pg_ctl stop -m immediate) and the
// standby promoted. Every answer during the switch is 200 or 500, never 401; afterwards nobody is
// logged out, nobody is taken for a thief, revocations stay revoked, and the same app recovers
// without a restart (time measured). Asynchronous: a refresh committed on the old primary and
// never replicated (replication cut first) leaves the client one generation ahead of the new
// primary; its next refresh works.

import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { type Sessions, createSessions, isSessionError } from "../../src/index.js";
import { type AnyPgDatabase, drizzleStore, migrate } from "../../src/storage/index.js";
import { requestFrom } from "../concurrency/instances.js";
import { DATABASE_URL } from "../helpers/db.js";
import { type Cluster, serversMissing, startPrimary, startStandby } from "../helpers/servers.js";

const missing = DATABASE_URL ? serversMissing() : "needs DATABASE_URL (the suite runs with the Postgres tests)";
if (process.env.CI && missing) {
  it("failover runs in CI", () => {
    throw new Error(`CI is set but ${missing}`);
  });
}

type User = { userId: string; handle: string; headers: Headers };

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function verify(sessions: Sessions, user: User): Promise<number> {
  try {
    await sessions.getSession(requestFrom(user.headers), new Headers());
    return 200;
  } catch (error) {
    if (isSessionError(error)) return error.code === "GENERAL_ERROR" ? 500 : 401;
    throw error;
  }
}

async function refresh(sessions: Sessions, user: User): Promise<number> {
  const response = await sessions.handle(
    new Request("http://localhost/auth/session/refresh", { method: "POST", headers: requestFrom(user.headers, "POST").headers }),
  );
  const status = response?.status ?? 0;
  if (status === 200 && response) user.headers = response.headers;
  return status;
}

async function signIn(sessions: Sessions, userId: string): Promise<User> {
  const headers = new Headers();
  const session = await sessions.createNewSession({ userId, sessionData: { n: 0 } }, headers);
  return { userId, handle: session.getHandle(), headers };
}

function app(url: string): { sessions: Sessions; db: AnyPgDatabase; sql: postgres.Sql } {
  const sql = postgres(url, {
    max: 4,
    fetch_types: false,
    connect_timeout: 2,
    onnotice: () => {},
    target_session_attrs: "read-write",
  } as postgres.Options<{}>);
  const db = drizzle(sql) as unknown as AnyPgDatabase;
  const sessions = createSessions({
    store: drizzleStore(db),
    revocation: "notify",
    antiCsrf: "none",
    storeTimeoutMs: 2000,
    refreshGraceSeconds: 0,
    onWarning: () => {},
  });
  cleanups.push(async () => {
    await sessions.close();
    await sql.end({ timeout: 1 });
  });
  return { sessions, db, sql };
}

describe.skipIf(missing !== undefined).each(["synchronous", "asynchronous"] as const)(
  `failover with %s replication (${missing ?? "real clusters"})`,
  (mode) => {
    it("no 401 during the switch, no logout, no false theft, revocations kept, recovery without restart", async () => {
      const primary: Cluster = await startPrimary(mode === "synchronous" ? { synchronousStandby: "sb1" } : {});
      cleanups.push(() => primary.close());
      const standby = await startStandby(primary, "sb1");
      cleanups.push(() => standby.close());
      const url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres`;
      const { sessions, db, sql } = app(url);
      await migrate(db);

      const users = await Promise.all(Array.from({ length: 8 }, (_, i) => signIn(sessions, `u${i}`)));
      const revoked = await Promise.all([signIn(sessions, "gone-1"), signIn(sessions, "gone-2")]);
      for (const user of revoked) await sessions.revokeSession(user.handle);
      for (const user of users) expect(await refresh(sessions, user)).toBe(200);

      // Wait until the standby has replayed everything so far (asynchronous: so that what follows is the only loss).
      const admin = postgres(primary.url, { max: 1, onnotice: () => {} });
      cleanups.push(() => admin.end({ timeout: 1 }));
      for (let i = 0; i < 200; i++) {
        const [row] = await admin<{ lag: boolean }[]>`
        SELECT coalesce(bool_or(replay_lsn < pg_current_wal_lsn()), true) AS lag FROM pg_stat_replication`;
        if (!row?.lag) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      // Asynchronous: cut replication, then refresh one user on the old primary: that rotation is lost.
      const ahead = users[0] as User;
      if (mode === "asynchronous") {
        const onStandby = postgres(standby.url, { max: 1, onnotice: () => {} });
        await onStandby.unsafe("ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1 user=postgres'");
        await onStandby.unsafe("SELECT pg_reload_conf()");
        await onStandby.end({ timeout: 1 });
        for (let i = 0; i < 200; i++) {
          const [row] = await admin<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_replication`;
          if (row?.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(await refresh(sessions, ahead)).toBe(200);
      }
      await admin.end({ timeout: 1 });

      // Traffic through the switch.
      const statuses: Record<string, number[]> = { verify: [], refresh: [], create: [], data: [] };
      let stop = false;
      let recoveredAt: number | undefined;
      let killedAt = 0;
      // Recovery counts from the first failure the switch caused (answers in flight before it do not count).
      let failedSinceKill = false;
      const traffic = (async () => {
        let i = 0;
        while (!stop) {
          const user = users[i++ % users.length] as User;
          const results = await Promise.all([
            verify(sessions, user).then((s) => statuses.verify?.push(s)),
            refresh(sessions, user).then((s) => {
              statuses.refresh?.push(s);
              return s;
            }),
            signIn(sessions, `new-${i}`).then(
              () => statuses.create?.push(200),
              (error: unknown) => statuses.create?.push(isSessionError(error) && error.code === "GENERAL_ERROR" ? 500 : 401),
            ),
            sessions.getSessionInformation(user.handle).then(
              () => statuses.data?.push(200),
              (error: unknown) => statuses.data?.push(isSessionError(error) && error.code === "GENERAL_ERROR" ? 500 : 401),
            ),
          ]);
          if (killedAt && Object.values(statuses).some((l) => l.includes(500))) failedSinceKill = true;
          if (failedSinceKill && recoveredAt === undefined && results[1] === 200 && (statuses.create?.at(-1) ?? 0) === 200) {
            recoveredAt = performance.now();
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      killedAt = performance.now();
      await primary.kill();
      await standby.promote();
      const promotedAt = performance.now();
      for (let i = 0; i < 1000 && recoveredAt === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 300));
      stop = true;
      await traffic;

      const tally = Object.fromEntries(
        Object.entries(statuses).map(([op, list]) => [
          op,
          Object.fromEntries([200, 401, 500].map((s) => [s, list.filter((x) => x === s).length])),
        ]),
      );
      const recoverMs = recoveredAt === undefined ? Number.NaN : recoveredAt - killedAt;
      console.log(
        `${mode}: kill → promoted ${(promotedAt - killedAt).toFixed(0)} ms, kill → first write served ${recoverMs.toFixed(0)} ms; answers ${JSON.stringify(tally)}`,
      );
      expect(recoveredAt).toBeDefined();
      for (const list of Object.values(statuses)) expect(list.filter((s) => s !== 200 && s !== 500)).toEqual([]);

      // Afterwards, on the same app: everyone still signed in, refreshes work (the user whose rotation
      // was lost included), no theft.
      for (const user of users) {
        expect(await verify(sessions, user), user.userId).toBe(200);
        expect(await refresh(sessions, user), user.userId).toBe(200);
        expect(await verify(sessions, user), user.userId).toBe(200);
      }
      // A fresh app (nothing in memory) on the new primary: the revocations are in the database.
      const fresh = app(url);
      for (const user of revoked) {
        expect(await verify(fresh.sessions, user)).toBe(401);
        expect(await refresh(fresh.sessions, user)).toBe(401);
      }
      const [row] = await sql<{ recovery: boolean }[]>`SELECT pg_is_in_recovery() AS recovery`;
      expect(row?.recovery).toBe(false);
    });
  },
);
