// The consumer's database, as a user opens it: postgres.js on DATABASE_URL (in the schema the
// test made, CONSUMER_SCHEMA), else embedded PGlite in memory.

import type { AnyPgDatabase } from "sessionkit/drizzle";

export async function openDatabase(): Promise<{ db: AnyPgDatabase; close(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const schema = process.env.CONSUMER_SCHEMA ?? "public";
    const sql = postgres(url, { max: 4, onnotice: () => {}, connection: { search_path: schema } });
    return { db: drizzle(sql), close: () => sql.end({ timeout: 1 }) };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const pg = new PGlite();
  return { db: drizzle(pg), close: () => pg.close() };
}
