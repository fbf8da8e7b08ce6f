// Applies the shipped migrations (drizzle/, embedded at build time) to any Drizzle Postgres
// database, once, under an advisory lock so concurrent starters do not collide. Quiet when there
// is nothing to do (no `IF NOT EXISTS`, whose NOTICE postgres.js prints on every start), one line
// per migration applied, and a sentence instead of a raw "already exists" when the tables were
// made another way (drizzle-kit with the exported schema).

import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { migrations } from "./migrations.js";
import { rowsOf } from "./rows.js";

/** Any Drizzle Postgres database: postgres.js, PGlite, node-postgres… */
// biome-ignore lint/suspicious/noExplicitAny: the schema type parameter is the user's own
export type AnyPgDatabase = PgDatabase<PgQueryResultHKT, any>;

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** Where the line per applied migration goes (default `console.warn`: stderr, so a server whose stdout is a protocol or JSON logs stays clean); `false` for none. */
  log?: ((line: string) => void) | false;
}

/** The SQLSTATE of "relation … already exists" somewhere in a driver error's cause chain. */
function alreadyExists(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === "42P07" || /already exists/.test((e as Error).message ?? "")) return true;
  }
  return false;
}

const TWO_WAYS =
  "sessionkit: migrate(db) found sessionkit's tables already there but not recorded as its own migrations: they were created " +
  "another way, most likely by drizzle-kit from the tables exported by sessionkit/drizzle. Keep one of the two ways: if " +
  "drizzle-kit manages your database, keep it and remove the migrate(db) call (upgrade by generating again after reading the " +
  "changelog); if you prefer migrate(db), remove sessionkitSessions, sessionkitKeys and sessionkitRevocations from your drizzle-kit " +
  'schema and drop the tables once (a fresh database), then let migrate(db) create them. See docs/postgres.md, "Creating the tables".';

/** Creates or upgrades sessionkit's tables in the database's current schema. Returns the tags applied. */
export async function migrate(db: AnyPgDatabase, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log === false ? undefined : (options.log ?? ((line: string) => console.warn(line)));
  const applied = await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.sessionkit_migrations'))`);
    const [present] = rowsOf<{ migrations: boolean; sessions: boolean }>(
      await tx.execute(sql`SELECT
        to_regclass(quote_ident(current_schema()) || '.sessionkit_migrations') IS NOT NULL AS migrations,
        to_regclass(quote_ident(current_schema()) || '.sessionkit_sessions') IS NOT NULL AS sessions`),
    );
    if (!present?.migrations) {
      if (present?.sessions) throw new Error(TWO_WAYS);
      await tx.execute(
        sql`CREATE TABLE sessionkit_migrations (tag text PRIMARY KEY, hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
    }
    const done = new Set(rowsOf<{ tag: string }>(await tx.execute(sql`SELECT tag FROM sessionkit_migrations`)).map((r) => r.tag));
    const tags: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.tag)) continue;
      try {
        for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      } catch (error) {
        throw alreadyExists(error) ? new Error(TWO_WAYS, { cause: error }) : error;
      }
      await tx.execute(sql`INSERT INTO sessionkit_migrations (tag, hash) VALUES (${migration.tag}, ${migration.hash})`);
      tags.push(migration.tag);
    }
    return tags;
  });
  for (const tag of applied) log?.(`sessionkit: migrate(db) applied ${tag}`);
  return applied;
}
