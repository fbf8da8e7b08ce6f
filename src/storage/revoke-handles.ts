// `SessionStore.revokeHandles`: several sessions revoked by handle in one statement, so in one
// transaction and one commit. Revocation "notify" coalesces concurrent single revocations into it
// (src/core/revocation-batch.ts): a NOTIFYing commit holds Postgres's database-wide notify lock
// through its WAL flush, so one commit per revocation caps them at about one per flush.

import { sql } from "drizzle-orm";
import type { RevokedSession, SessionStore } from "../core/store.js";
import type { AnyPgDatabase } from "./migrate.js";
import { logAndAnnounce } from "./revoke.js";
import { rowsOf } from "./rows.js";
import { sessionkitSessions as sessions } from "./schema.js";

type RevokeHandlesInput = Parameters<NonNullable<SessionStore["revokeHandles"]>>[0];

export async function revokeHandles(
  db: AnyPgDatabase,
  { targets, now, notifyChannel, pruneBefore }: RevokeHandlesInput,
): Promise<RevokedSession[]> {
  if (targets.length === 0) return [];
  // One text parameter however many targets (a parameter each would hit the protocol's limit);
  // created_before is NULL unless the revocation is maxLifetime's.
  const list = JSON.stringify(targets.map((t) => ({ handle: t.handle, created_before: t.createdBefore?.toISOString() ?? null })));
  const deleted = sql`DELETE FROM ${sessions} AS s
    USING jsonb_to_recordset(${list}::text::jsonb) AS t(handle text, created_before timestamptz)
    WHERE s.handle = t.handle AND (t.created_before IS NULL OR s.created_at <= t.created_before)
    RETURNING s.handle, s.user_id`;
  if (notifyChannel === undefined) {
    const result = await db.execute(sql`WITH deleted AS (${deleted}) SELECT handle, user_id FROM deleted`);
    return rowsOf<{ handle: string; user_id: string }>(result).map((r) => ({ handle: r.handle, userId: r.user_id }));
  }
  // As the single revocation (revoke.ts): all the notices go out with the one commit, which takes
  // the notify lock once for the whole batch.
  return logAndAnnounce(db, deleted, { now, notifyChannel, pruneBefore });
}
