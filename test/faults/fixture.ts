// Real Postgres for fault tests: a fresh schema, a pool with its own application_name (so its
// backends, and only its backends, can be terminated), optionally through a TCP proxy that can
// cut the network, and a second connection that can hold row locks.

import postgres from "postgres";
import { it } from "vitest";
import type { AnyPgDatabase } from "../../src/storage/index.js";
import { DATABASE_URL, type TestDb, createTestDb, nodePgPool, postgresClient } from "../helpers/db.js";
import { type TcpProxy, startTcpProxy } from "./proxy.js";

/** Why fault tests skip without Postgres (PGlite has no connections to kill or cut). */
export const NEEDS_POSTGRES = "needs DATABASE_URL: fault tests kill and cut real Postgres connections (PGlite has none)";
export const hasPostgres = DATABASE_URL !== undefined;

/** In CI nothing that matters may skip: a missing DATABASE_URL is a failure there. */
export function failInCiWithoutPostgres(): void {
  if (process.env.CI && !hasPostgres) {
    it("DATABASE_URL is set in CI", () => {
      throw new Error(`CI is set but ${NEEDS_POSTGRES}`);
    });
  }
}

export interface FaultDb {
  /** The pool under test (through the proxy when asked). */
  db: AnyPgDatabase;
  queries: { count: number };
  schema: string;
  /** application_name of the pool; the revocation listener's starts with it too. */
  appName: string;
  proxy: TcpProxy | undefined;
  /** Terminates every backend of the pool (and its listener); returns how many. */
  killBackends(): Promise<number>;
  /** Holds `SELECT … FOR UPDATE` on a session row in an open transaction until released. */
  lockSession(handle: string): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export async function createFaultDb(
  options: {
    viaProxy?: boolean;
    pool?: postgres.Options<{}>;
    connection?: Record<string, string | number>;
    /** The application pool's driver (default postgres.js). */
    driver?: "postgres" | "node-postgres";
  } = {},
): Promise<FaultDb> {
  if (!DATABASE_URL) throw new Error(NEEDS_POSTGRES);
  const base: TestDb = await createTestDb("postgres");
  const schema = base.schema as string;
  const appName = `skfault_${schema}`;
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  let url = DATABASE_URL;
  let proxy: TcpProxy | undefined;
  if (options.viaProxy) {
    const parsed = new URL(DATABASE_URL);
    proxy = await startTcpProxy(parsed.hostname, Number(parsed.port || 5432));
    parsed.hostname = "127.0.0.1";
    parsed.port = String(proxy.port);
    url = parsed.toString();
  }
  const { end, db, queries } =
    options.driver === "node-postgres"
      ? (({ pool, db, queries }) => ({ end: () => pool.end(), db, queries }))(
          nodePgPool(url, schema, undefined, { application_name: appName, max: 4, connectionTimeoutMillis: 3000 }),
        )
      : (({ sql, db, queries }) => ({ end: () => sql.end({ timeout: 1 }), db, queries }))(
          postgresClient(url, schema, undefined, {
            max: 4,
            // postgres.js drops the promise of its start-up array-type query: a backend killed at that
            // moment becomes an unhandled rejection no caller can catch (porsager/postgres#1192, #1223),
            // which ends a Node process. sessionkit's tables have no array columns; docs/security.md
            // recommends the same setting.
            fetch_types: false,
            connect_timeout: 3,
            connection: {
              search_path: schema,
              application_name: appName,
              ...options.connection,
            },
            ...options.pool,
          }),
        );
  const lockers: postgres.Sql[] = [];
  return {
    db,
    queries,
    schema,
    appName,
    proxy,
    async killBackends() {
      const [row] = await admin<{ killed: number }[]>`
        SELECT count(pg_terminate_backend(pid))::int AS killed FROM pg_stat_activity
        WHERE application_name LIKE ${`${appName}%`} AND pid <> pg_backend_pid()`;
      return row?.killed ?? 0;
    },
    async lockSession(handle) {
      const locker = postgres(DATABASE_URL as string, {
        max: 1,
        onnotice: () => {},
        connection: {
          search_path: schema,
          application_name: `skfaultlock_${schema}`,
        },
      });
      lockers.push(locker);
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const transaction = locker.begin(async (tx) => {
        await tx`SELECT handle FROM sessionkit_sessions WHERE handle = ${handle} FOR UPDATE`;
        locked();
        await released;
      });
      await Promise.race([isLocked, transaction]);
      return async () => {
        release();
        await transaction;
      };
    },
    async close() {
      await end();
      for (const l of lockers) await l.end({ timeout: 1 });
      await proxy?.close();
      await admin.end({ timeout: 1 });
      await base.close();
    },
  };
}

/** Waits for `ready()` to hold, polling every few ms, or throws after `ms`. */
export async function eventually(ready: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
