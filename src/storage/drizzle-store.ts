// `drizzleStore(db)`: the SessionStore on any Drizzle Postgres database. Every method is one
// statement, so one round trip; the refresh rotation is a single conditional UPDATE … RETURNING.

import { type SQL, and, desc, entityKind, eq, gt, lte, ne, sql } from "drizzle-orm";
import type { SessionStore } from "../core/store.js";
import { canListen, listenOn } from "./listen.js";
import type { AnyPgDatabase } from "./migrate.js";
import { revokeHandles } from "./revoke-handles.js";
import { rowsOf } from "./rows.js";
import { sessionkitKeys as keys, sessionkitRevocations as revocations, sessionkitSessions as sessions } from "./schema.js";

const ts = (date: Date) => sql`${date.toISOString()}::timestamptz`;
/** JSON as a text parameter cast in SQL, so a JSON `null` stays JSON (Drizzle would send SQL NULL). */
const jsonb = (value: unknown) => sql`${JSON.stringify(value)}::text::jsonb`;

// Placeholders of the prepared statements: values go in as text with explicit casts, the same
// on every driver (pass ISO strings and JSON text).
const param = sql.placeholder;
const tsParam = (name: string) => sql`${sql.placeholder(name)}::timestamptz`;
const jsonParam = (name: string) => sql`${sql.placeholder(name)}::text::jsonb`;

/** Log entries a revocation prunes beyond twice the number it logs. */
const PRUNE_EXTRA = 16;
/** Pages of the sessions table one cleanup batch scans, per row of its batch size. */
const CLEANUP_PAGES_PER_ROW = 4;

/** Builds a prepared statement on first use. */
function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}

/** Options of `drizzleStore`. */
export interface DrizzleStoreOptions {
  /**
   * A Drizzle database on a direct (unpooled) connection to the same Postgres, for revocation
   * `"notify"`'s LISTEN, when `db` sits behind PgBouncer in transaction mode (where LISTEN does
   * not stay on one server connection). Only its connection options are used: the listener
   * opens one connection of its own.
   */
  listen?: AnyPgDatabase;
  /**
   * `false` sends every statement unnamed. Needed on node-postgres behind PgBouncer in transaction
   * mode before 1.21 (named prepared statements live on one server connection); postgres.js
   * takes its client's own `prepare: false` instead. Default `true`.
   */
  prepare?: boolean;
}

/** The Drizzle drivers the store is tested on, by Drizzle's class name of the database. */
const DRIVERS: Record<string, string> = {
  PostgresJsDatabase: "postgres.js",
  NodePgDatabase: "node-postgres",
  PgliteDatabase: "PGlite",
};

/** Which supported driver `db` runs on; a TypeError naming it otherwise, before any request. */
function driverOf(db: unknown, what: string): string {
  const kind = (db as { constructor?: { [entityKind]?: string } } | null)?.constructor?.[entityKind];
  const driver = kind === undefined ? undefined : DRIVERS[kind];
  if (driver) return driver;
  throw new TypeError(
    `sessionkit: drizzleStore(${what}) needs a Drizzle database on postgres.js (drizzle-orm/postgres-js), ` +
      `node-postgres (drizzle-orm/node-postgres) or PGlite (drizzle-orm/pglite); got ${kind ?? (db as object | null)?.constructor?.name ?? typeof db}` +
      ((db as { $primary?: unknown } | null)?.$primary ? " (a read-replica wrapper: pass its primary, db.$primary)" : ""),
  );
}

/**
 * A session store on a Drizzle Postgres database: postgres.js or node-postgres for a server,
 * PGlite embedded. Behind PgBouncer in transaction mode pass `{ listen: directDb }` for
 * revocation `"notify"` (and `prepare: false` on node-postgres before PgBouncer 1.21).
 */
export function drizzleStore(db: AnyPgDatabase, options: DrizzleStoreOptions = {}): SessionStore {
  driverOf(db, "db");
  const listenDb = options.listen ?? db;
  if (options.listen) driverOf(options.listen, "db, { listen }");
  const client = (listenDb as { $client?: unknown }).$client;
  // An empty name is an unnamed statement on node-postgres; postgres.js and PGlite ignore names.
  const named = (name: string) => (options.prepare === false ? "" : name);
  const live = (handle: string, now: Date) => and(eq(sessions.handle, handle), gt(sessions.expiresAt, now));
  const liveParam = and(eq(sessions.handle, param("handle")), gt(sessions.expiresAt, tsParam("now")));

  // The statements of every request are built once and prepared. Besides skipping Drizzle's
  // query building, this halves round trips on postgres.js: an unprepared statement with
  // parameters is sent as Parse/Describe, then Bind/Execute once the parameter types are back
  // (two round trips); a prepared one is a single Bind/Execute after its first use.
  const statements = {
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

  return {
    async createSession(record, cap) {
      const values = {
        handle: record.handle,
        userId: record.userId,
        jwtPayload: JSON.stringify(record.jwtPayload),
        sessionData: JSON.stringify(record.sessionData),
        refreshHash: record.refreshHash,
        createdAt: record.createdAt.toISOString(),
        expiresAt: record.expiresAt.toISOString(),
        userAgent: record.userAgent ?? null,
        ip: record.ip ?? null,
        // A real boolean: postgres.js serialises a boolean parameter from `true`/`false` only.
        remember: record.remember !== false,
      };
      if (cap === undefined) {
        await statements.createSession().execute(values);
        return [];
      }
      const rows = await statements
        .createSessionCapped()
        .execute({ ...values, maxSessions: cap.maxSessions, notifyChannel: cap.notifyChannel ?? null });
      return rows.map((r) => ({
        handle: r.handle,
        ...(r.userAgent === null ? {} : { userAgent: r.userAgent }),
        ...(r.ip === null ? {} : { ip: r.ip }),
      }));
    },

    async getSession(handle, now) {
      const [row] = await statements.getSession().execute({ handle, now: now.toISOString() });
      return row;
    },

    async sessionExists(handle, now) {
      const rows = await statements.sessionExists().execute({ handle, now: now.toISOString() });
      return rows.length > 0;
    },

    async liveHandles(handles, now) {
      if (handles.length === 0) return [];
      // One text parameter however many handles (a parameter per handle would hit the protocol's limit).
      const rows = await db
        .select({ handle: sessions.handle })
        .from(sessions)
        .where(
          and(
            sql`${sessions.handle} IN (SELECT jsonb_array_elements_text(${JSON.stringify(handles)}::text::jsonb))`,
            gt(sessions.expiresAt, now),
          ),
        );
      return rows.map((r) => r.handle);
    },

    async getSessionData(handle, now) {
      const [row] = await statements.getSessionData().execute({ handle, now: now.toISOString() });
      return row;
    },

    async setSessionData(handle, data, now, expectedVersion) {
      const values = { handle, now: now.toISOString(), data: JSON.stringify(data) };
      const rows =
        expectedVersion === undefined
          ? await statements.setSessionData().execute(values)
          : await statements.setSessionDataIfVersion().execute({ ...values, version: expectedVersion });
      return rows.length > 0;
    },

    async modifySessionDataLocked(handle, now, fn) {
      // BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT: concurrent callers queue on the row lock
      // instead of retrying, and `fn` always sees the latest committed data.
      return db.transaction(async (tx) => {
        const [row] = await tx.select({ data: sessions.sessionData }).from(sessions).where(live(handle, now)).limit(1).for("update");
        if (!row) return undefined;
        const data = await fn(row.data);
        await tx
          .update(sessions)
          .set({ sessionData: jsonb(data), dataVersion: sql`${sessions.dataVersion} + 1` })
          .where(eq(sessions.handle, handle));
        return { data };
      });
    },

    async setJWTPayload(handle, payload, now) {
      const [row] = await statements.setJWTPayload().execute({ handle, now: now.toISOString(), payload: JSON.stringify(payload) });
      return row;
    },

    async rotateRefresh(input) {
      const [row] = await statements.rotateRefresh().execute({
        handle: input.handle,
        now: input.now.toISOString(),
        presentedHash: input.presentedHash,
        nextHash: input.nextHash,
        nextNonce: input.nextNonce,
        nextGeneration: input.nextGeneration,
        expiresAt: input.expiresAt.toISOString(),
        ip: input.ip ?? null,
        maxLifetime: input.maxLifetime ?? null,
      });
      return row;
    },

    async revoke({ by, now, notifyChannel, pruneBefore }) {
      const target =
        "handle" in by
          ? by.createdBefore === undefined
            ? eq(sessions.handle, by.handle)
            : and(eq(sessions.handle, by.handle), lte(sessions.createdAt, by.createdBefore))
          : by.exceptHandle === undefined
            ? eq(sessions.userId, by.userId)
            : and(eq(sessions.userId, by.userId), ne(sessions.handle, by.exceptHandle));
      if (notifyChannel === undefined) {
        return db.delete(sessions).where(target).returning({ handle: sessions.handle, userId: sessions.userId });
      }
      // Delete, log and announce in one statement: NOTIFY is delivered when it commits. The same
      // statement prunes log entries no listener needs any more, twice as many as it logs (and a
      // few), oldest first through the revoked_at index: the log stays bounded by rate × window.
      // (Without SKIP LOCKED, concurrent revocations all chose the same oldest rows, and only one
      // of them deleted anything: measured, the log outgrew its window at 500 revocations/s.)
      const prune =
        pruneBefore === undefined
          ? sql``
          : sql`, pruned AS (
          DELETE FROM ${revocations} WHERE ${revocations.id} IN (
            SELECT ${revocations.id} FROM ${revocations} WHERE ${revocations.revokedAt} < ${ts(pruneBefore)}
            ORDER BY ${revocations.revokedAt} LIMIT (SELECT 2 * count(*) + ${PRUNE_EXTRA} FROM deleted)
            -- Concurrent revocations take different entries instead of queueing on the same oldest ones.
            FOR UPDATE SKIP LOCKED
          )
        )`;
      const result = await db.execute(sql`
        WITH deleted AS (DELETE FROM ${sessions} WHERE ${target} RETURNING ${sessions.handle}, ${sessions.userId}),
        logged AS (
          INSERT INTO ${revocations} (handle, revoked_at) SELECT handle, ${ts(now)} FROM deleted RETURNING id, handle
        )${prune}
        SELECT logged.handle, deleted.user_id, pg_notify(${notifyChannel}, logged.handle || ':' || logged.id) AS notified
        FROM logged JOIN deleted ON deleted.handle = logged.handle`);
      return rowsOf<{ handle: string; user_id: string }>(result).map((r) => ({ handle: r.handle, userId: r.user_id }));
    },

    revokeHandles: (input) => revokeHandles(db, input),

    async clearClaims({ userId, keys: claimKeys, now, notifyChannel, notice }) {
      // jsonb minus text[] drops those keys; the rotation statement already returns jwt_payload,
      // so a cleared claim costs its session nothing until its next refresh fetches it again.
      const live = and(eq(sessions.userId, userId), gt(sessions.expiresAt, now));
      const keyArray = sql`ARRAY[${sql.join(
        claimKeys.map((k) => sql`${k}`),
        sql`, `,
      )}]::text[]`;
      if (notifyChannel === undefined) {
        const rows = await db
          .update(sessions)
          .set({ jwtPayload: sql`${sessions.jwtPayload} - ${keyArray}` })
          .where(live)
          .returning({ handle: sessions.handle });
        return rows.map((r) => r.handle);
      }
      // Clear and announce in one statement; the notice goes out once, when it commits.
      const result = await db.execute(sql`
        WITH cleared AS (
          UPDATE ${sessions} SET jwt_payload = jwt_payload - ${keyArray} WHERE ${live} RETURNING ${sessions.handle}
        )
        SELECT handle FROM cleared
        UNION ALL
        SELECT NULL FROM (SELECT pg_notify(${notifyChannel}, ${notice})) AS announced`);
      return rowsOf<{ handle: string | null }>(result).flatMap((r) => (r.handle === null ? [] : [r.handle]));
    },

    async listHandles(userId, now) {
      const rows = await db
        .select({ handle: sessions.handle })
        .from(sessions)
        .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, now)))
        .orderBy(sessions.createdAt);
      return rows.map((r) => r.handle);
    },

    async listSessions(userId, now) {
      const rows = await statements.listSessions().execute({ userId, now: now.toISOString() });
      return rows.map((r) => ({ ...r, userAgent: r.userAgent ?? undefined, ip: r.ip ?? undefined }));
    },

    async loadKeys(now) {
      const rows = await db.select().from(keys).where(gt(keys.expiresAt, now));
      return rows.map((r) => ({ ...r, publicJwk: r.publicJwk ?? null }));
    },

    async insertKey(key) {
      await db.insert(keys).values(key).onConflictDoNothing();
    },

    async replacePrivateKey(kid, privateJwk, expected) {
      const rows = await db
        .update(keys)
        .set({ privateJwk: jsonb(privateJwk) as unknown as JsonWebKey })
        .where(and(eq(keys.kid, kid), sql`${keys.privateJwk} = ${JSON.stringify(expected)}::text::jsonb`))
        .returning({ kid: keys.kid });
      return rows.length > 0;
    },

    async revocationsSince(afterId, since) {
      return db
        .select()
        .from(revocations)
        .where(and(gt(revocations.id, afterId), gt(revocations.revokedAt, since)))
        .orderBy(revocations.id);
    },

    async cleanupBatch({ now, revocationsBefore, batchSize, cursor }) {
      // The sessions table is walked in physical order, a slice of pages per statement (a TID
      // range scan): no index on expires_at is needed, so the refresh, which moves expires_at,
      // stays a HOT update. At most `batchSize` rows go per statement; a slice with more expired
      // rows is finished by the next statement, starting after the last one taken.
      const [fromBlock, fromOffset] = (cursor ?? "0,0").split(",").map(Number) as [number, number];
      const toBlock = fromBlock + batchSize * CLEANUP_PAGES_PER_ROW;
      const from = `(${fromBlock},${fromOffset})`;
      const result = await db.execute(sql`
        WITH victims AS MATERIALIZED (
          SELECT ctid FROM ${sessions}
          WHERE ctid >= ${from}::tid AND ctid < ${`(${toBlock},0)`}::tid AND ${lte(sessions.expiresAt, now)}
          LIMIT ${batchSize}
        ),
        s AS (
          DELETE FROM ${sessions} WHERE ctid = ANY (ARRAY(SELECT ctid FROM victims)) AND ${lte(sessions.expiresAt, now)} RETURNING 1
        ),
        k AS (DELETE FROM ${keys} WHERE ${lte(keys.expiresAt, now)} RETURNING 1),
        r AS (
          DELETE FROM ${revocations} WHERE ${revocations.id} IN (
            SELECT ${revocations.id} FROM ${revocations} WHERE ${revocations.revokedAt} < ${ts(revocationsBefore)}
            ORDER BY ${revocations.revokedAt} LIMIT ${batchSize} FOR UPDATE SKIP LOCKED
          ) RETURNING 1
        )
        SELECT (SELECT count(*) FROM s)::int AS sessions, (SELECT count(*) FROM k)::int AS keys,
               (SELECT count(*) FROM r)::int AS revocations, (SELECT count(*) FROM victims)::int AS found,
               (SELECT max(ctid) FROM victims)::text AS last,
               (pg_relation_size('sessionkit_sessions'::regclass) / current_setting('block_size')::int)::int AS blocks`);
      const [row] = rowsOf<{ sessions: number; keys: number; revocations: number; found: number; last: string | null; blocks: number }>(
        result,
      );
      const counts = { sessions: Number(row?.sessions ?? 0), keys: Number(row?.keys ?? 0), revocations: Number(row?.revocations ?? 0) };
      let next: string | undefined;
      if (Number(row?.found) >= batchSize && row?.last) {
        const [block, offset] = row.last.slice(1, -1).split(",").map(Number) as [number, number];
        next = `${block},${offset + 1}`;
      } else if (toBlock < Number(row?.blocks ?? 0)) next = `${toBlock},0`;
      // The log has more to prune: go on (past the sessions table's end, the scan is empty).
      if (next === undefined && counts.revocations >= batchSize) next = `${Math.max(toBlock, Number(row?.blocks ?? 0))},0`;
      return { ...counts, cursor: next };
    },

    async cleanup(now, revocationsBefore) {
      const result = await db.execute(sql`
        WITH s AS (DELETE FROM ${sessions} WHERE ${lte(sessions.expiresAt, now)} RETURNING 1),
        k AS (DELETE FROM ${keys} WHERE ${lte(keys.expiresAt, now)} RETURNING 1),
        r AS (DELETE FROM ${revocations} WHERE ${revocations.revokedAt} < ${ts(revocationsBefore)} RETURNING 1)
        SELECT (SELECT count(*) FROM s)::int AS sessions, (SELECT count(*) FROM k)::int AS keys,
               (SELECT count(*) FROM r)::int AS revocations`);
      const [row] = rowsOf<{ sessions: number; keys: number; revocations: number }>(result);
      return { sessions: Number(row?.sessions ?? 0), keys: Number(row?.keys ?? 0), revocations: Number(row?.revocations ?? 0) };
    },

    // Only where we can LISTEN, so `revocation: "notify"` on another driver fails at
    // createSessions instead of retrying forever in the background.
    listen: canListen(client)
      ? (channel, handlers, signal, options) => listenOn(client, channel, handlers, { signal, heartbeatMs: options?.heartbeatMs })
      : undefined,
  };
}
