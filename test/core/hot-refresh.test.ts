// The schema keeps refreshes HOT (heap-only updates): the rotation statement sets no indexed
// column, the table has fillfactor 90, and on Postgres the update counters say every refresh was
// HOT. Migration 0002 applies to a 0.1 database on every driver.

import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessions } from "../../src/index.js";
import { drizzleStore, migrate } from "../../src/storage/index.js";
import { migrations } from "../../src/storage/migrations.js";
import { rowsOf } from "../../src/storage/rows.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

async function refreshOnce(sessions: ReturnType<typeof createSessions>, refreshCookie: string): Promise<string> {
  const headers = new Headers();
  await sessions.refreshSession(
    new Request("http://localhost/auth/session/refresh", { method: "POST", headers: { cookie: refreshCookie, rid: "session" } }),
    headers,
  );
  const next = headers
    .getSetCookie()
    .map((l) => l.split(";")[0] ?? "")
    .find((c) => c.startsWith("sRefreshToken="));
  if (!next) throw new Error("no refresh token");
  return next;
}

describe.each(availableKinds)("HOT refreshes on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());
  const query = async <T>(text: string) => rowsOf<T>(await db.db.execute(sql.raw(text)));

  /** Columns of sessionkit_sessions that some index covers (key, INCLUDE or expression). */
  async function indexedColumns(): Promise<string[]> {
    const rows = await query<{ column: string }>(`
      SELECT DISTINCT a.attname AS column FROM pg_index x
      JOIN pg_attribute a ON a.attrelid = x.indrelid
        AND (a.attnum = ANY (x.indkey::int2[]) OR pg_get_indexdef(x.indexrelid) LIKE '%' || a.attname || '%')
      WHERE x.indrelid = 'sessionkit_sessions'::regclass AND a.attnum > 0`);
    return rows.map((r) => r.column).sort();
  }

  it("the refresh's UPDATE sets no indexed column, and the table leaves room on each page (fillfactor 90)", async () => {
    const sessions = createSessions({ store: drizzleStore(db.db), secret: "hot-refresh-test-secret-0123456789abcdef" });
    const headers = new Headers();
    await sessions.createNewSession({ userId: "hot" }, headers);
    const refresh =
      headers
        .getSetCookie()
        .map((l) => l.split(";")[0] ?? "")
        .find((c) => c.startsWith("sRefreshToken=")) ?? "";
    db.queries.reset();
    await refreshOnce(sessions, refresh);
    const update = db.queries.log.find((q) => /^\s*update\s+"sessionkit_sessions"/i.test(q));
    expect(update, db.queries.log.join("\n")).toBeDefined();
    const setClause = (update ?? "").replace(/^[\s\S]*?\sset\s/i, "").split(/\swhere\s/i)[0] ?? "";
    const assigned = [...setClause.matchAll(/"(\w+)"\s*=/g)].map((m) => m[1] as string);
    expect(assigned).toEqual(expect.arrayContaining(["refresh_hash", "expires_at", "last_active_at"]));
    const indexed = await indexedColumns();
    expect(indexed).toEqual(["handle", "user_id"]);
    expect(assigned.filter((c) => indexed.includes(c))).toEqual([]);
    const [table] = await query<{ options: string[] | null }>(
      "SELECT reloptions AS options FROM pg_class WHERE oid = 'sessionkit_sessions'::regclass",
    );
    expect(table?.options).toContain("fillfactor=90");
    await sessions.close();
  });
});

// Update counters are Postgres' (PGlite is one in-process connection with no statistics to rely on).
describe.each(availableKinds.filter((k) => k !== "pglite"))("HOT update counters on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());
  const query = async <T>(text: string) => rowsOf<T>(await db.db.execute(sql.raw(text)));

  it("every refresh is a HOT update (pg_stat_user_tables)", async () => {
    const sessions = createSessions({ store: drizzleStore(db.db), secret: "hot-refresh-test-secret-0123456789abcdef" });
    const headers = new Headers();
    await sessions.createNewSession({ userId: "hot-counted" }, headers);
    let refresh =
      headers
        .getSetCookie()
        .map((l) => l.split(";")[0] ?? "")
        .find((c) => c.startsWith("sRefreshToken=")) ?? "";
    const counters = async () => {
      const [r] = await query<{ upd: string; hot: string }>(
        "SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relid = 'sessionkit_sessions'::regclass",
      );
      return { upd: Number(r?.upd), hot: Number(r?.hot) };
    };
    await query("SELECT pg_stat_clear_snapshot()");
    const before = await counters();
    for (let i = 0; i < 10; i++) refresh = await refreshOnce(sessions, refresh);
    // Backends flush their counters when idle (at most once a second): wait until all ten are in.
    let after = before;
    for (let tries = 0; tries < 50 && after.upd - before.upd < 10; tries++) {
      await new Promise((r) => setTimeout(r, 200));
      await query("SELECT pg_stat_clear_snapshot()");
      after = await counters();
    }
    expect(after.upd - before.upd).toBe(10);
    expect(after.hot - before.hot).toBe(10);
    await sessions.close();
  });
});

describe.each(availableKinds)("migration 0002 on a 0.1 database on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(() => db.close());

  it("applies after 0000 and 0001, keeps the rows, drops the expires_at index and sets fillfactor 90", async () => {
    const run = async <T>(text: string) => rowsOf<T>(await db.db.execute(sql.raw(text)));
    // Back to a 0.1 database: only 0000_init, with a session in it.
    await run("DROP TABLE sessionkit_sessions, sessionkit_keys, sessionkit_revocations, sessionkit_migrations");
    await run("DROP FUNCTION IF EXISTS sessionkit_create_session");
    await run("DROP FUNCTION IF EXISTS sessionkit_create_session_capped");
    const [init] = migrations;
    for (const statement of init?.statements ?? []) await run(statement);
    await run(
      "CREATE TABLE sessionkit_migrations (tag text PRIMARY KEY, hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    await run(`INSERT INTO sessionkit_migrations (tag, hash) VALUES ('${init?.tag}', '${init?.hash}')`);
    await run(`INSERT INTO sessionkit_sessions (handle, user_id, refresh_hash, created_at, expires_at)
      VALUES ('from-0.1', 'u', 'hash', now(), now() + interval '1 day')`);
    expect(await migrate(db.db, { log: false })).toEqual(migrations.slice(1).map((m) => m.tag));
    expect(migrations.map((m) => m.tag)).toContain("0002_hot_refresh");
    const indexes = await run<{ name: string }>(
      "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'sessionkit_sessions' AND schemaname = current_schema()",
    );
    expect(indexes.map((i) => i.name).sort()).toEqual(["sessionkit_sessions_pkey", "sessionkit_sessions_user_id_idx"]);
    const [table] = await run<{ options: string[] | null }>(
      "SELECT reloptions AS options FROM pg_class WHERE oid = 'sessionkit_sessions'::regclass",
    );
    expect(table?.options).toContain("fillfactor=90");
    const rows = await run<{ handle: string }>("SELECT handle FROM sessionkit_sessions");
    expect(rows.map((r) => r.handle)).toEqual(["from-0.1"]);
  });
});
