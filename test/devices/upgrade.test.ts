// Upgrading a 0.1 database: the schema of drizzle/0000_init.sql only (recorded the way 0.1's
// migrate(db) did), sessions signed in and refreshed with 0.1's statements (only 0.1's columns),
// then migrate(db) adds 0001_devices without losing one: each refreshes in one round trip, shows
// its last activity (the 0.1 rotation or sign-in), remembers (cookies with Expires), and the
// capped sign-in function is there.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RotateRefreshResult, type SessionStore, createSessions } from "../../src/index.js";
import { drizzleStore, migrate } from "../../src/storage/index.js";
import { rowsOf } from "../../src/storage/rows.js";
import { TestClient, createTestApp } from "../helpers/app.js";
import { testClock } from "../helpers/clock.js";
import { type TestDb, availableKinds, createTestDb } from "../helpers/db.js";

const INIT = readFileSync("drizzle/0000_init.sql", "utf8");

/** Back to a database 0.1 made: only 0000_init, recorded as 0.1's migrate(db) recorded it. */
async function onlyZeroPointOne(db: TestDb): Promise<void> {
  await db.exec(
    "DROP TABLE sessionkit_sessions, sessionkit_keys, sessionkit_revocations, sessionkit_migrations CASCADE; " +
      "DROP FUNCTION IF EXISTS sessionkit_create_session; DROP FUNCTION IF EXISTS sessionkit_create_session_capped",
  );
  for (const statement of INIT.split("--> statement-breakpoint")) await db.exec(statement);
  const hash = createHash("sha256").update(INIT).digest("hex");
  await db.exec(
    "CREATE TABLE IF NOT EXISTS sessionkit_migrations (tag text PRIMARY KEY, hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); " +
      `INSERT INTO sessionkit_migrations (tag, hash) VALUES ('0000_init', '${hash}')`,
  );
}

/** The store as 0.1 wrote sessions: its INSERT and its rotation, with 0.1's columns only. */
function zeroPointOneStore(db: TestDb): SessionStore {
  const current = drizzleStore(db.db);
  return {
    ...current,
    async createSession(r) {
      await db.db.execute(sql`INSERT INTO sessionkit_sessions
        (handle, user_id, jwt_payload, session_data, refresh_hash, created_at, expires_at)
        VALUES (${r.handle}, ${r.userId}, ${JSON.stringify(r.jwtPayload)}::text::jsonb, ${JSON.stringify(r.sessionData)}::text::jsonb,
                ${r.refreshHash}, ${r.createdAt.toISOString()}::timestamptz, ${r.expiresAt.toISOString()}::timestamptz)`);
      return [];
    },
    async rotateRefresh(input) {
      const current = sql`refresh_hash = ${input.presentedHash}`;
      const now = sql`${input.now.toISOString()}::timestamptz`;
      const result = await db.db.execute(sql`UPDATE sessionkit_sessions SET
          previous_refresh_hash = CASE WHEN ${current} THEN refresh_hash ELSE previous_refresh_hash END,
          refresh_hash = CASE WHEN ${current} THEN ${input.nextHash} ELSE refresh_hash END,
          refresh_nonce = CASE WHEN ${current} THEN ${input.nextNonce} ELSE refresh_nonce END,
          refresh_generation = CASE WHEN ${current} THEN ${input.nextGeneration}::integer ELSE refresh_generation END,
          rotated_at = CASE WHEN ${current} THEN ${now} ELSE rotated_at END,
          expires_at = CASE WHEN ${current} THEN ${input.expiresAt.toISOString()}::timestamptz ELSE expires_at END
        WHERE handle = ${input.handle} AND expires_at > ${now}
        RETURNING user_id, jwt_payload, refresh_hash, previous_refresh_hash, refresh_nonce, refresh_generation, rotated_at, expires_at, created_at`);
      const [row] = rowsOf<Record<string, unknown>>(result);
      if (!row) return undefined;
      const date = (v: unknown) => (v === null ? null : new Date(v as string));
      return {
        userId: row.user_id,
        jwtPayload: typeof row.jwt_payload === "string" ? JSON.parse(row.jwt_payload) : row.jwt_payload,
        refreshHash: row.refresh_hash,
        previousRefreshHash: row.previous_refresh_hash,
        refreshNonce: row.refresh_nonce,
        refreshGeneration: Number(row.refresh_generation),
        rotatedAt: date(row.rotated_at),
        expiresAt: date(row.expires_at),
        createdAt: date(row.created_at),
        // 0.1 has no column for it: what 0.1 did.
        remember: true,
      } as RotateRefreshResult;
    },
  };
}

describe.each(availableKinds)("upgrading a 0.1 database on %s", (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(kind);
    await onlyZeroPointOne(db);
  });
  afterAll(() => db.close());

  it("sessions made with the 0.1 schema survive migrate(db) and refresh in one round trip", async () => {
    const clock = testClock();
    const common = { accessTokenTtl: 60, refreshTokenTtl: 24 * 3600, now: clock.now, cookies: { secure: false } };
    const old = createSessions({ store: zeroPointOneStore(db), ...common });
    const oldApp = createTestApp(old);
    const signedIn = new TestClient(oldApp, clock.now);
    const refreshed = new TestClient(oldApp, clock.now);
    await signedIn.call("/login", { body: { userId: "ada", payload: { name: "Ada" } } });
    const signInAt = clock.now();
    await refreshed.call("/login", { body: { userId: "ada" } });
    clock.advance(120_000);
    expect((await refreshed.refresh()).status).toBe(200);
    const rotatedAt = clock.now();
    await old.close();
    const columns = await db.exec(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'sessionkit_sessions'",
    );
    expect(JSON.stringify(columns)).not.toContain("last_active_at");

    const applied = await migrate(db.db, { log: false });
    expect(applied).toContain("0001_devices");
    expect(applied).not.toContain("0000_init");

    const sessions = createSessions({ store: drizzleStore(db.db), ...common });
    const app = createTestApp(sessions);
    // Keys load once per process, at the first call: not part of the refresh's count.
    await sessions.createNewSession({ userId: "warm-up" }, new Headers());
    // The same browsers (cookie jars) now talk to the upgraded server.
    const a = new TestClient(app, clock.now);
    const b = new TestClient(app, clock.now);
    for (const [from, to] of [
      [signedIn, a],
      [refreshed, b],
    ] as const) {
      for (const name of ["sAccessToken", "sRefreshToken"]) {
        const value = from.jar.get(name);
        if (value) to.jar.set(name, value, name === "sRefreshToken" ? "/auth/session/refresh" : "/");
      }
      to.antiCsrf = from.antiCsrf;
    }
    const listed = await sessions.listSessions("ada");
    expect(listed).toHaveLength(2);
    expect(listed.map((s) => s.lastActiveAt.getTime())).toEqual([rotatedAt, signInAt]);
    expect(listed.map((s) => [s.userAgent, s.ip])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);

    clock.advance(120_000);
    for (const client of [a, b]) {
      db.queries.reset();
      const res = await client.refresh();
      expect(res.status).toBe(200);
      expect(db.queries.count).toBe(1);
      const lines = res.headers.getSetCookie().filter((l) => /^(sAccessToken|sRefreshToken)=[^;]/.test(l));
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toMatch(/Expires=/);
      expect((await (await client.call("/me")).json()) as { userId: string }).toMatchObject({ userId: "ada" });
    }
    expect((await sessions.listSessions("ada")).map((s) => s.lastActiveAt.getTime())).toEqual([clock.now(), clock.now()]);
    await sessions.close();

    // The capped sign-in function came with the migration.
    const capped = createSessions({ store: drizzleStore(db.db), ...common, maxSessionsPerUser: 1 });
    await capped.createNewSession({ userId: "ada" }, new Headers());
    expect(await capped.listSessions("ada")).toHaveLength(1);
    await capped.close();
  });
});
