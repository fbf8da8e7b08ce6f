// Applies the shipped migrations (drizzle/, embedded at build time) to any Drizzle Postgres
// database, once, under an advisory lock so concurrent starters do not collide.

import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { migrations } from "./migrations.js";
import { rowsOf } from "./rows.js";

/** Any Drizzle Postgres database: postgres.js, PGlite, node-postgres… */
// biome-ignore lint/suspicious/noExplicitAny: the schema type parameter is the user's own
export type AnyPgDatabase = PgDatabase<PgQueryResultHKT, any>;

/** Creates or upgrades sessionkit's tables in the database's current schema. Returns the tags applied. */
export async function migrate(db: AnyPgDatabase): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.sessionkit_migrations'))`);
    await tx.execute(
      sql`CREATE TABLE IF NOT EXISTS sessionkit_migrations (tag text PRIMARY KEY, hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(rowsOf<{ tag: string }>(await tx.execute(sql`SELECT tag FROM sessionkit_migrations`)).map((r) => r.tag));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.tag)) continue;
      for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      await tx.execute(sql`INSERT INTO sessionkit_migrations (tag, hash) VALUES (${migration.tag}, ${migration.hash})`);
      applied.push(migration.tag);
    }
    return applied;
  });
}
