// Removing what has expired: the one-statement `cleanup`, and `cleanupBatch`, its bounded steps
// over the sessions table in physical order.

import { lte, sql } from "drizzle-orm";
import type { CleanupBatchInput, CleanupBatchResult } from "../core/store.js";
import type { AnyPgDatabase } from "./migrate.js";
import { rowsOf } from "./rows.js";
import { sessionkitKeys as keys, sessionkitRevocations as revocations, sessionkitSessions as sessions } from "./schema.js";
import { ts } from "./values.js";

/** Pages of the sessions table one cleanup batch scans, per row of its batch size. */
const CLEANUP_PAGES_PER_ROW = 4;

/** `SessionStore.cleanupBatch`: one bounded batch, one statement. */
export async function cleanupBatch(
  db: AnyPgDatabase,
  { now, revocationsBefore, batchSize, cursor }: CleanupBatchInput,
): Promise<CleanupBatchResult> {
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
  const [row] = rowsOf<{ sessions: number; keys: number; revocations: number; found: number; last: string | null; blocks: number }>(result);
  const counts = { sessions: Number(row?.sessions ?? 0), keys: Number(row?.keys ?? 0), revocations: Number(row?.revocations ?? 0) };
  let next: string | undefined;
  if (Number(row?.found) >= batchSize && row?.last) {
    const [block, offset] = row.last.slice(1, -1).split(",").map(Number) as [number, number];
    next = `${block},${offset + 1}`;
  } else if (toBlock < Number(row?.blocks ?? 0)) next = `${toBlock},0`;
  // The log has more to prune: go on (past the sessions table's end, the scan is empty).
  if (next === undefined && counts.revocations >= batchSize) next = `${Math.max(toBlock, Number(row?.blocks ?? 0))},0`;
  return { ...counts, cursor: next };
}

/** `SessionStore.cleanup`: everything expired, one statement. */
export async function cleanup(
  db: AnyPgDatabase,
  now: Date,
  revocationsBefore: Date,
): Promise<{ sessions: number; keys: number; revocations: number }> {
  const result = await db.execute(sql`
        WITH s AS (DELETE FROM ${sessions} WHERE ${lte(sessions.expiresAt, now)} RETURNING 1),
        k AS (DELETE FROM ${keys} WHERE ${lte(keys.expiresAt, now)} RETURNING 1),
        r AS (DELETE FROM ${revocations} WHERE ${revocations.revokedAt} < ${ts(revocationsBefore)} RETURNING 1)
        SELECT (SELECT count(*) FROM s)::int AS sessions, (SELECT count(*) FROM k)::int AS keys,
               (SELECT count(*) FROM r)::int AS revocations`);
  const [row] = rowsOf<{ sessions: number; keys: number; revocations: number }>(result);
  return { sessions: Number(row?.sessions ?? 0), keys: Number(row?.keys ?? 0), revocations: Number(row?.revocations ?? 0) };
}
