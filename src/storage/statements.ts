// The prepared statements of every request, built once on first use. Besides skipping Drizzle's
// query building, this halves round trips on postgres.js: an unprepared statement with
// parameters is sent as Parse/Describe, then Bind/Execute once the parameter types are back
// (two round trips); a prepared one is a single Bind/Execute after its first use.

import { type SQL, and, desc, eq, gt, sql } from "drizzle-orm";
import type { AnyPgDatabase } from "./migrate.js";
import { sessionkitSessions as sessions } from "./schema.js";

// Placeholders of the prepared statements: values go in as text with explicit casts, the same
// on every driver (pass ISO strings and JSON text).
const param = sql.placeholder;
const tsParam = (name: string) => sql`${sql.placeholder(name)}::timestamptz`;
const jsonParam = (name: string) => sql`${sql.placeholder(name)}::text::jsonb`;

/**
 * The rows of a prepared statement as its driver answers them, through Drizzle's `all()` (which
 * every supported driver's prepared query has): column names as keys, timestamps as text (Drizzle's
 * own parsers), JSON parsed. Skips `execute()`'s mapping of each row onto its fields, for the two
 * statements of the refresh and `updateJWTPayload` hot paths.
 */
export function driverRows<T>(statement: object, values: Record<string, unknown>): Promise<T[]> {
  return (statement as { all(values: Record<string, unknown>): Promise<T[]> }).all(values);
}

/** Builds a prepared statement on first use. */
function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}

/** The statements of `db`; `prepare: false` sends every one unnamed (see `DrizzleStoreOptions.prepare`). */
export function preparedStatements(db: AnyPgDatabase, prepare: boolean | undefined) {
  // An empty name is an unnamed statement on node-postgres; postgres.js and PGlite ignore names.
  const named = (name: string) => (prepare === false ? "" : name);
  const liveParam = and(eq(sessions.handle, param("handle")), gt(sessions.expiresAt, tsParam("now")));

  return {
    createSession: once(() =>
      db
        .insert(sessions)
        .values({
          handle: param("handle"),
          userId: param("userId"),
          jwtPayload: jsonParam("jwtPayload"),
          sessionData: jsonParam("sessionData"),
          refreshHash: param("refreshHash"),
          createdAt: tsParam("createdAt"),
          expiresAt: tsParam("expiresAt"),
          lastActiveAt: tsParam("createdAt"),
          userAgent: sql`${param("userAgent")}::text`,
          ip: sql`${param("ip")}::text`,
          remember: sql`${param("remember")}::boolean`,
        })
        .prepare(named("sessionkit_create_session")),
    ),
    // maxSessionsPerUser: insert and evict in the migrations' function (why a function: see
    // drizzle/0001_devices.sql; 0003 returns each evicted session's device), still one round trip.
    createSessionCapped: once(() =>
      db
        .select({
          handle: sql<string>`evicted_handle`,
          userAgent: sql<string | null>`evicted_user_agent`,
          ip: sql<string | null>`evicted_ip`,
        })
        .from(
          sql`sessionkit_create_session_capped(${param("handle")}::text, ${param("userId")}::text, ${jsonParam("jwtPayload")},
            ${jsonParam("sessionData")}, ${param("refreshHash")}::text, ${tsParam("createdAt")}, ${tsParam("expiresAt")},
            ${param("userAgent")}::text, ${param("ip")}::text, ${param("remember")}::boolean, ${param("maxSessions")}::integer,
            ${param("notifyChannel")}::text)`,
        )
        .prepare(named("sessionkit_create_session_capped")),
    ),
    listSessions: once(() =>
      db
        .select({
          handle: sessions.handle,
          userId: sessions.userId,
          createdAt: sessions.createdAt,
          lastActiveAt: sessions.lastActiveAt,
          expiresAt: sessions.expiresAt,
          userAgent: sessions.userAgent,
          ip: sessions.ip,
        })
        .from(sessions)
        .where(and(eq(sessions.userId, param("userId")), gt(sessions.expiresAt, tsParam("now"))))
        .orderBy(desc(sessions.lastActiveAt), desc(sessions.createdAt), sessions.handle)
        .prepare(named("sessionkit_list_sessions")),
    ),
    getSession: once(() =>
      db
        .select({
          handle: sessions.handle,
          userId: sessions.userId,
          jwtPayload: sessions.jwtPayload,
          sessionData: sessions.sessionData,
          createdAt: sessions.createdAt,
          expiresAt: sessions.expiresAt,
        })
        .from(sessions)
        .where(liveParam)
        .limit(1)
        .prepare(named("sessionkit_get_session")),
    ),
    sessionExists: once(() =>
      db.select({ one: sql<number>`1` }).from(sessions).where(liveParam).limit(1).prepare(named("sessionkit_session_exists")),
    ),
    getSessionData: once(() =>
      db
        .select({ data: sessions.sessionData, version: sessions.dataVersion })
        .from(sessions)
        .where(liveParam)
        .limit(1)
        .prepare(named("sessionkit_get_session_data")),
    ),
    setSessionData: once(() =>
      db
        .update(sessions)
        .set({ sessionData: jsonParam("data"), dataVersion: sql`${sessions.dataVersion} + 1` })
        .where(liveParam)
        .returning({ handle: sessions.handle })
        .prepare(named("sessionkit_set_session_data")),
    ),
    setSessionDataIfVersion: once(() =>
      db
        .update(sessions)
        .set({ sessionData: jsonParam("data"), dataVersion: sql`${sessions.dataVersion} + 1` })
        .where(and(liveParam, eq(sessions.dataVersion, sql`${param("version")}::integer`)))
        .returning({ handle: sessions.handle })
        .prepare(named("sessionkit_set_session_data_if_version")),
    ),
    setJWTPayload: once(() =>
      db
        .update(sessions)
        .set({ jwtPayload: jsonParam("payload") })
        .where(liveParam)
        .returning({ remember: sessions.remember })
        .prepare(named("sessionkit_set_jwt_payload")),
    ),
    rotateRefresh: once(() => {
      // Every SET sees the old row: when the presented token is current, rotate; otherwise the
      // row is left as it was and returned, so the caller can tell a grace-window race from theft.
      // A genuine token (its MAC checked) of a generation the row has not reached is current too:
      // the database lost the rotation that minted it (a failover with asynchronous replication,
      // a restore), and its holder is the session's owner, not a thief, whose tokens are older.
      // Each parameter appears once, in the one-row `p` (Postgres pulls it up into the plan): 9
      // parameters to bind and serialise instead of 25, two timestamps parsed instead of five.
      const p = sql`(SELECT ${param("handle")}::text AS handle, ${tsParam("now")} AS now, ${param("presentedHash")}::text AS presented, ${param("nextHash")}::text AS next_hash, ${param("nextNonce")}::text AS next_nonce, ${param("nextGeneration")}::integer AS next_generation, ${tsParam("expiresAt")} AS expires_at, ${param("ip")}::text AS ip, ${param("maxLifetime")}::integer AS max_lifetime) AS p`;
      const isCurrent = sql`(${sessions.refreshHash} = p.presented OR ${sessions.refreshGeneration} < p.next_generation - 1)`;
      const pick = (next: SQL, column: unknown) => sql`CASE WHEN ${isCurrent} THEN ${next} ELSE ${column} END`;
      // maxLifetime (seconds, NULL for none): the absolute end of the session.
      const lifetimeEnd = sql`(${sessions.createdAt} + p.max_lifetime * interval '1 second')`;
      return db
        .update(sessions)
        .set({
          // The presented token becomes the previous one (the row's hash when it was current), so a
          // second tab presenting it inside the grace window gets the new token.
          previousRefreshHash: pick(sql`p.presented`, sessions.previousRefreshHash),
          refreshHash: pick(sql`p.next_hash`, sessions.refreshHash),
          refreshNonce: pick(sql`p.next_nonce`, sessions.refreshNonce),
          refreshGeneration: pick(sql`p.next_generation`, sessions.refreshGeneration),
          rotatedAt: pick(sql`p.now`, sessions.rotatedAt),
          // LEAST ignores NULL: without maxLifetime this is the idle expiry.
          expiresAt: pick(sql`LEAST(p.expires_at, ${lifetimeEnd})`, sessions.expiresAt),
          // Devices: activity and the network it came from, in the statement that already runs.
          lastActiveAt: sql`p.now`,
          ip: sql`COALESCE(p.ip, ${sessions.ip})`,
        })
        .from(p)
        .where(
          and(sql`${sessions.handle} = p.handle`, sql`${sessions.expiresAt} > p.now`, sql`COALESCE(${lifetimeEnd}, 'infinity') > p.now`),
        )
        .returning({
          userId: sessions.userId,
          jwtPayload: sessions.jwtPayload,
          refreshHash: sessions.refreshHash,
          previousRefreshHash: sessions.previousRefreshHash,
          refreshNonce: sessions.refreshNonce,
          refreshGeneration: sessions.refreshGeneration,
          rotatedAt: sessions.rotatedAt,
          expiresAt: sessions.expiresAt,
          createdAt: sessions.createdAt,
          remember: sessions.remember,
        })
        .prepare(named("sessionkit_rotate_refresh"));
    }),
  };
}
