// The bench's own Postgres schema: created fresh per run (sessionkit's migrations plus the peers'
// tables), dropped at the end. Schemas of earlier runs whose bench process is gone are swept.

import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type AnyPgDatabase, migrate } from "../../src/storage/index.js";
import { PEER_TABLES_SQL } from "../peers/tables.js";

export interface BenchSchema {
  url: string;
  schema: string;
  drop(): Promise<void>;
}

const PREFIX = "sk_bench_";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates `sk_bench_<pid>_<random>` with every table the bench servers use. */
export async function createBenchSchema(url: string): Promise<BenchSchema> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // Only our own debris: the name carries the pid of the bench run that made it.
    const stale = await admin<{ nspname: string }[]>`SELECT nspname FROM pg_namespace WHERE nspname LIKE ${`${PREFIX}%`}`;
    for (const { nspname } of stale) {
      const pid = Number(nspname.slice(PREFIX.length).split("_")[0]);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) {
        await admin.unsafe(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
      }
    }
    const schema = `${PREFIX}${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    try {
      await migrate(drizzle(sql) as unknown as AnyPgDatabase);
      await sql.unsafe(PEER_TABLES_SQL);
    } finally {
      await sql.end({ timeout: 1 });
    }
    let dropped = false;
    return {
      url,
      schema,
      async drop() {
        if (dropped) return;
        dropped = true;
        const cleaner = postgres(url, { max: 1, onnotice: () => {} });
        try {
          await cleaner.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await cleaner.end({ timeout: 1 });
        }
      },
    };
  } finally {
    await admin.end({ timeout: 1 });
  }
}

/**
 * The database of a script that opens it in its own process with servers/common.ts's openDb():
 * with DATABASE_URL a fresh bench schema on Postgres through one connection, else PGlite (set in
 * BENCH_KIND, BENCH_SCHEMA and BENCH_POOL). Drop the schema it returns at the end.
 */
export async function benchDatabaseFromEnv(): Promise<BenchSchema | undefined> {
  const url = process.env.DATABASE_URL;
  const schema = url ? await createBenchSchema(url) : undefined;
  process.env.BENCH_KIND = schema ? "postgres" : "pglite";
  if (schema) {
    process.env.BENCH_SCHEMA = schema.schema;
    process.env.BENCH_POOL = "1";
  }
  return schema;
}
