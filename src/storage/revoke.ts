// The store's writes that can announce on the revocation channel: ending sessions and clearing
// claims, each one statement that, with "notify", also logs and NOTIFYs when it commits.

import { type SQL, and, eq, gt, lte, ne, sql } from "drizzle-orm";
import type { RevokeInput, RevokedSession, SessionStore } from "../core/store.js";
import type { AnyPgDatabase } from "./migrate.js";
import { rowsOf } from "./rows.js";
import { sessionkitRevocations as revocations, sessionkitSessions as sessions } from "./schema.js";
import { ts } from "./values.js";

/** Log entries a revocation prunes beyond twice the number it logs. */
const PRUNE_EXTRA = 16;

/** `SessionStore.revoke`: deletes the targeted sessions; with a channel, logs, prunes and announces them too. */
export async function revokeSessions(db: AnyPgDatabase, { by, now, notifyChannel, pruneBefore }: RevokeInput): Promise<RevokedSession[]> {
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
  const deleted = sql`DELETE FROM ${sessions} WHERE ${target} RETURNING ${sessions.handle}, ${sessions.userId}`;
  return logAndAnnounce(db, deleted, { now, notifyChannel, pruneBefore });
}

/** `SessionStore.clearClaims`: drops claim keys from a user's live sessions; with a channel, announces `notice`. */
export async function clearClaims(
  db: AnyPgDatabase,
  { userId, keys: claimKeys, now, notifyChannel, notice }: Parameters<NonNullable<SessionStore["clearClaims"]>>[0],
): Promise<string[]> {
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
}

/**
 * A revocation statement under "notify", around its `deleted` CTE (`DELETE … RETURNING handle,
 * user_id`): delete, log and announce in one statement, so NOTIFY is delivered when it commits;
 * one notice per handle in the 0.1 format `<handle>:<log id>` (every listener version reads it).
 * The same statement prunes log entries no listener needs any more: up to twice as many older
 * than `pruneBefore` as it deleted sessions (and a few), oldest first through the revoked_at
 * index, so the log stays bounded by rate × window. Concurrent revocations take different entries
 * (SKIP LOCKED) instead of queueing on the same oldest ones: without it, measured, the log
 * outgrew its window at 500 revocations/s.
 */
export async function logAndAnnounce(
  db: AnyPgDatabase,
  deleted: SQL,
  { now, notifyChannel, pruneBefore }: { now: Date; notifyChannel: string; pruneBefore?: Date | undefined },
): Promise<RevokedSession[]> {
  const prune =
    pruneBefore === undefined
      ? sql``
      : sql`, pruned AS (
          DELETE FROM ${revocations} WHERE ${revocations.id} IN (
            SELECT ${revocations.id} FROM ${revocations} WHERE ${revocations.revokedAt} < ${ts(pruneBefore)}
            ORDER BY ${revocations.revokedAt} LIMIT (SELECT 2 * count(*) + ${PRUNE_EXTRA} FROM deleted)
            FOR UPDATE SKIP LOCKED
          )
        )`;
  const result = await db.execute(sql`
    WITH deleted AS (${deleted}),
    logged AS (
      INSERT INTO ${revocations} (handle, revoked_at) SELECT handle, ${ts(now)} FROM deleted RETURNING id, handle
    )${prune}
    SELECT logged.handle, deleted.user_id, pg_notify(${notifyChannel}, logged.handle || ':' || logged.id) AS notified
    FROM logged JOIN deleted ON deleted.handle = logged.handle`);
  return rowsOf<{ handle: string; user_id: string }>(result).map((r) => ({ handle: r.handle, userId: r.user_id }));
}
