// migrate(db) as a restart sees it: quiet when there is nothing to do (postgres.js printed a
// 9-line NOTICE on every start), one line per migration applied, and a sentence naming the two
// ways when the tables were created by drizzle-kit instead of a raw "already exists".

import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { migrations } from "../../src/storage/migrations.js";
import { type AnyPgDatabase, migrate } from "../../src/storage/index.js";
import { DATABASE_URL, type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

const opened: TestDb[] = [];
afterAll(() => Promise.all(opened.map((d) => d.close())));
afterEach(() => vi.restoreAllMocks());

/** A database of the kind with none of sessionkit's tables. */
async function emptyDb(kind: (typeof availableKinds)[number]): Promise<TestDb> {
  const t = await createTestDb(kind);
  opened.push(t);
  await t.exec("DROP TABLE sessionkit_keys, sessionkit_sessions, sessionkit_revocations, sessionkit_migrations");
  // Migrations 0001 and 0003 also made the capped sign-in functions (schema-scoped like the tables).
  await t.exec("DROP FUNCTION sessionkit_create_session");
  await t.exec("DROP FUNCTION sessionkit_create_session_capped");
  return t;
}

/** Everything the console printed during `work`. */
async function printed(work: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  await work();
  vi.restoreAllMocks();
  return lines;
}

describe.each(availableKinds)("migrate(db) on %s", (kind) => {
  it("says what it applied the first time, nothing the second", async () => {
    const t = await emptyDb(kind);
    const first = await printed(() => migrate(t.db));
    expect(first).toEqual(migrations.map((m) => `sessionkit: migrate(db) applied ${m.tag}`));
    expect(await printed(() => migrate(t.db))).toEqual([]);
    expect(await migrate(t.db, { log: false })).toEqual([]);
  });

  it("after drizzle-kit made the tables: a sentence with the two ways and which to keep, nothing changed", async () => {
    const t = await emptyDb(kind);
    // What `drizzle-kit migrate` runs from migrations generated with sessionkit's exported tables.
    for (const migration of migrations) for (const statement of migration.statements) await t.exec(statement);
    const error = await migrate(t.db, { log: false }).catch((e: unknown) => e);
    expect(String(error)).toMatch(
      /sessionkit: migrate\(db\) found sessionkit's tables already there .*drizzle-kit.*Keep one of the two ways: if drizzle-kit manages your database, keep it and remove the migrate\(db\) call/,
    );
    expect(String(error)).not.toMatch(/^error: relation/);
    // Nothing half-done: no migrations table was left behind.
    await expect(t.exec("SELECT 1 FROM sessionkit_migrations")).rejects.toThrow(/does not exist/);
  });
});

describe.skipIf(!DATABASE_URL)("postgres.js with its default notice handler (needs DATABASE_URL)", () => {
  it("prints no NOTICE on a restart", async () => {
    const t = await emptyDb("postgres");
    // A user's client: no onnotice, so postgres.js prints every NOTICE with console.log.
    const client = postgres(DATABASE_URL as string, { max: 1, connection: { search_path: t.schema as string } });
    try {
      const db = drizzle(client) as unknown as AnyPgDatabase;
      await migrate(db, { log: false });
      const restart = await printed(() => migrate(db));
      expect(restart).toEqual([]);
      expect((await db.execute(sql`SELECT count(*)::int AS n FROM sessionkit_migrations`)) as unknown).toBeTruthy();
    } finally {
      await client.end({ timeout: 1 });
    }
  });
});
