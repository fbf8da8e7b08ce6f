// `sessions.cleanup()`: expired sessions, expired keys and old revocation-log entries removed in
// bounded batches, one statement each, so a table of millions never sees one long DELETE (locks,
// WAL bursts, a statement past `storeTimeoutMs`) and the traffic beside it keeps its latency.

import type { SessionStore } from "./store.js";

/** Options of `sessions.cleanup()`. */
export interface CleanupOptions {
  /**
   * The most expired sessions (and old revocation-log entries) one statement deletes. Default
   * 1,000. Each batch also scans a bounded slice of the sessions table, so a statement's work is
   * bounded even where nothing has expired.
   */
  batchSize?: number;
  /**
   * Milliseconds to wait after each batch before the next (default 0). On a primary that is also
   * serving traffic this spreads the deletes out, so the requests beside them keep their latency;
   * the run takes about (batches × pauseMs) longer.
   */
  pauseMs?: number;
}

/** What `cleanup()` removed. */
export interface CleanupResult {
  sessions: number;
  keys: number;
  revocations: number;
}

export const DEFAULT_CLEANUP_BATCH = 1000;

/** Runs the store's batches (or its one statement) until nothing is left; each call under `run`'s timeout. */
export async function cleanupInBatches(
  store: SessionStore,
  run: <T>(operation: () => Promise<T>) => Promise<T>,
  now: Date,
  revocationsBefore: Date,
  options: CleanupOptions = {},
): Promise<CleanupResult> {
  const batchSize = options.batchSize ?? DEFAULT_CLEANUP_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TypeError("sessionkit: cleanup({ batchSize }) must be a positive integer");
  const pauseMs = options.pauseMs ?? 0;
  if (!Number.isFinite(pauseMs) || pauseMs < 0) throw new TypeError("sessionkit: cleanup({ pauseMs }) must be a non-negative number");
  const batch = store.cleanupBatch?.bind(store);
  if (!batch) return run(() => store.cleanup(now, revocationsBefore));
  const total: CleanupResult = { sessions: 0, keys: 0, revocations: 0 };
  let cursor: string | undefined;
  do {
    const result = await run(() => batch({ now, revocationsBefore, batchSize, cursor }));
    total.sessions += result.sessions;
    total.keys += result.keys;
    total.revocations += result.revocations;
    cursor = result.cursor;
    if (cursor !== undefined && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  } while (cursor !== undefined);
  return total;
}
