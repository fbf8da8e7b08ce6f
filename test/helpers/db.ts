// Real databases for tests: Postgres (DATABASE_URL, one fresh schema per call) through
// postgres.js or node-postgres, or embedded PGlite. Each counts every statement the driver
// sends, so tests can prove query budgets.

import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import pg from "pg";
import postgres from "postgres";
import { type AnyPgDatabase, migrate } from "../../src/storage/index.js";

export type DbKind = "postgres" | "node-postgres" | "pglite";

export interface TestDb {
  kind: DbKind;
  db: AnyPgDatabase;
  /** Statements sent by the driver since the last reset. */
  queries: { count: number; log: string[]; reset(): void };
  /** Runs SQL outside the counter (Postgres: admin connection in the same schema). */
  exec(query: string): Promise<unknown>;
  /** Postgres (either driver) only: the schema name and URL, to open more clients. */
  schema?: string;
  url?: string;
  close(): Promise<void>;
}

export const DATABASE_URL = process.env.DATABASE_URL;

/** The kinds this run covers: PGlite always, Postgres through both drivers when DATABASE_URL is set. */
export const availableKinds: DbKind[] = DATABASE_URL ? ["pglite", "postgres", "node-postgres"] : ["pglite"];
/** The main kind for flow tests: Postgres when available. */
export const mainKind: DbKind = DATABASE_URL ? "postgres" : "pglite";

/** A fresh query counter (statements, or store calls, since the last reset). */
export function counter(): TestDb["queries"] {
  const q = {
    count: 0,
    log: [] as string[],
    reset() {
      q.count = 0;
      q.log = [];
    },
  };
  return q;
}

/** Opens a postgres.js client on an existing test schema, with its own query counter. */
export function postgresClient(url: string, schema: string, queries = counter(), options: postgres.Options<{}> = {}) {
  const sql = postgres(url, {
    max: 4,
    onnotice: () => {},
    connection: { search_path: schema, application_name: "sessionkit-test" },
    debug: (_connection, query) => {
      queries.count++;
      queries.log.push(query);
    },
    ...options,
  });
  return { sql, db: drizzlePostgres(sql) as unknown as AnyPgDatabase, queries };
}

/** application_name suffix of sessionkit's LISTEN connection: not the application's statements. */
const LISTENER = "sessionkit-listener";

/**
 * Opens a node-postgres pool on an existing test schema, with its own query counter. The pool's
 * Client class counts; the revocation listener is made from the same class, so its statements
 * (LISTEN, heartbeats) are left out by application_name.
 */
export function nodePgPool(url: string, schema: string, queries = counter(), config: pg.PoolConfig = {}) {
  class CountingClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query has many overloads; this passes them through
    override query(...args: any[]): any {
      const name = (this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters.application_name;
      if (!name?.endsWith(LISTENER)) {
        const first = args[0] as string | { text: string };
        queries.count++;
        queries.log.push(typeof first === "string" ? first : first.text);
      }
      // biome-ignore lint/suspicious/noExplicitAny: see above
      return (super.query as any)(...args);
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    application_name: "sessionkit-test",
    options: `-c search_path=${schema}`,
    ...config,
    Client: CountingClient,
  });
  // An idle client the server drops (a fault test kills backends) must not crash the process.
  pool.on("error", () => {});
  return { pool, db: drizzleNodePg(pool) as unknown as AnyPgDatabase, queries };
}

export async function createTestDb(kind: DbKind = mainKind): Promise<TestDb> {
  const queries = counter();
  if (kind === "postgres" || kind === "node-postgres") {
    if (!DATABASE_URL) throw new Error("DATABASE_URL is not set");
    const schema = `sk_test_${Math.random().toString(36).slice(2, 10)}`;
    const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    const { db, end } =
      kind === "postgres"
        ? (({ sql, db }) => ({ db, end: () => sql.end({ timeout: 1 }) }))(postgresClient(DATABASE_URL, schema, queries))
        : (({ pool, db }) => ({ db, end: () => pool.end() }))(nodePgPool(DATABASE_URL, schema, queries));
    await migrate(db, { log: false });
    queries.reset();
    return {
      kind,
      db,
      queries,
      schema,
      url: DATABASE_URL,
      exec: (query) => admin.unsafe(`SET search_path TO ${schema}; ${query}`),
      async close() {
        await end();
        await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end({ timeout: 1 });
      },
    };
  }
  const pg = new PGlite();
  const query = pg.query.bind(pg);
  const execRaw = pg.exec.bind(pg);
  pg.query = ((text: string, ...rest: unknown[]) => {
    queries.count++;
    queries.log.push(text);
    return (query as (...a: unknown[]) => unknown)(text, ...rest);
  }) as typeof pg.query;
  pg.exec = ((text: string, ...rest: unknown[]) => {
    queries.count++;
    queries.log.push(text);
    return (execRaw as (...a: unknown[]) => unknown)(text, ...rest);
  }) as typeof pg.exec;
  const db = drizzlePglite(pg) as unknown as AnyPgDatabase;
  await migrate(db, { log: false });
  queries.reset();
  return {
    kind,
    db,
    queries,
    exec: (text) => execRaw(text),
    close: () => pg.close(),
  };
}
