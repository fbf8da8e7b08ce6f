// The scale suite's readings of Postgres itself: table and index size per session, the HOT share
// of updates (pg_stat_user_tables), the backends' CPU (/proc) and the WAL counters (pg_stat_wal).

import type postgres from "postgres";

export interface SizeReport {
  rows: number;
  /** Bytes per row: the heap, its TOAST, each index, and everything together. */
  perRow: { heap: number; toast: number; indexes: Record<string, number>; total: number };
  totalMB: number;
  fillfactor: number | null;
}

/** Table and index size per session (pg_total_relation_size / rows, per index). */
export async function sizes(sql: postgres.Sql): Promise<SizeReport> {
  const [t] = await sql`
    SELECT (SELECT count(*) FROM sessionkit_sessions)::bigint AS rows,
           pg_relation_size(c.oid) AS heap,
           coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) AS toast,
           pg_total_relation_size(c.oid) AS total,
           (SELECT option_value::int FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor') AS fillfactor
    FROM pg_class c WHERE c.oid = 'sessionkit_sessions'::regclass`;
  const rows = Number(t?.rows ?? 0) || 1;
  const indexes = await sql`
    SELECT i.relname AS name, pg_relation_size(i.oid) AS bytes FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
    WHERE x.indrelid = 'sessionkit_sessions'::regclass ORDER BY i.relname`;
  const per = (bytes: unknown) => Math.round(Number(bytes) / rows);
  return {
    rows,
    perRow: {
      heap: per(t?.heap),
      toast: per(t?.toast),
      indexes: Object.fromEntries(indexes.map((i) => [i.name as string, per(i.bytes)])),
      total: per(t?.total),
    },
    totalMB: Math.round(Number(t?.total) / 2 ** 20),
    fillfactor: t?.fillfactor === null || t?.fillfactor === undefined ? null : Number(t.fillfactor),
  };
}

export interface UpdateCounters {
  updates: number;
  hot: number;
}

/** n_tup_upd and n_tup_hot_upd of sessionkit_sessions (after the backends have flushed their counters). */
export async function updateCounters(sql: postgres.Sql): Promise<UpdateCounters> {
  await sql`SELECT pg_stat_clear_snapshot()`;
  const [r] = await sql`SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'sessionkit_sessions'::regclass`;
  return { updates: Number(r?.n_tup_upd ?? 0), hot: Number(r?.n_tup_hot_upd ?? 0) };
}

/** The HOT share of the updates between two readings. */
export function hotRate(before: UpdateCounters, after: UpdateCounters): { updates: number; hot: number; rate: number } {
  const updates = after.updates - before.updates;
  const hot = after.hot - before.hot;
  return { updates, hot, rate: updates > 0 ? hot / updates : Number.NaN };
}

/** CPU seconds (user + system) of the Postgres backends connected to `database` as `application`, from /proc. */
export async function backendCpuSeconds(sql: postgres.Sql, database: string, application: string): Promise<number> {
  const { readFileSync } = await import("node:fs");
  const pids = await sql`SELECT pid FROM pg_stat_activity WHERE datname = ${database} AND application_name = ${application}`;
  let total = 0;
  for (const { pid } of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // Postgres on another machine, or the backend is gone
    }
  }
  return total;
}

/** Postgres's WAL counters now (cluster-wide). */
export async function walNow(sql: postgres.Sql): Promise<{ lsn: string; records: number; fpi: number; bytes: number }> {
  await sql`SELECT pg_stat_clear_snapshot()`;
  const [r] = await sql`SELECT pg_current_wal_lsn()::text AS lsn, wal_records, wal_fpi, wal_bytes FROM pg_stat_wal`;
  return { lsn: String(r?.lsn), records: Number(r?.wal_records), fpi: Number(r?.wal_fpi), bytes: Number(r?.wal_bytes) };
}
