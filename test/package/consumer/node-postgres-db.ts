// The consumer's database on node-postgres, as docs/postgres.md shows it: a `pg` Pool and
// drizzle-orm/node-postgres on DATABASE_URL, in the schema the test made (CONSUMER_SCHEMA).
// Copied over db.ts in the node-postgres project.

import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { AnyPgDatabase } from "sessionkit/drizzle";

export async function openDatabase(): Promise<{ db: AnyPgDatabase; close(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("the node-postgres consumer needs DATABASE_URL");
  const schema = process.env.CONSUMER_SCHEMA ?? "public";
  const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
  // An idle client's error reaches the pool; without a listener node-postgres ends the process.
  pool.on("error", (error) => console.error("pg pool:", error.message));
  return { db: drizzle(pool), close: () => pool.end() };
}
