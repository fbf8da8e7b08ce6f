// The scale suite's Postgres: by default a cluster of its own (initdb, a free port) configured as
// docs/postgres.md recommends, or the server of DATABASE_URL as it is (BENCH_SCALE_SERVER=shared);
// the disk checked before 10M rows are generated; the tables read into shared buffers (pg_prewarm).

import { statfsSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { type OwnCluster, startOwnCluster } from "../../test/helpers/servers.js";
import type { ScaleDb } from "./scale-data.js";

/** The own cluster's settings (docs/postgres.md) with `sharedBuffers`. */
export function clusterSettings(sharedBuffers: string): Record<string, string> {
  const mb = Math.floor(os.totalmem() / 2 ** 20);
  return {
    shared_buffers: sharedBuffers,
    effective_cache_size: `${Math.floor((mb * 3) / 4)}MB`,
    maintenance_work_mem: "512MB",
    // Checkpoints further apart: fewer full-page images (the first change of a page after each).
    max_wal_size: "8GB",
    checkpoint_timeout: "15min",
    checkpoint_completion_target: "0.9",
    wal_compression: "lz4",
    max_connections: "100",
    shared_preload_libraries: "pg_prewarm",
    "pg_prewarm.autoprewarm": "off",
  };
}

export interface ScaleServer {
  /** The own cluster (BENCH_SCALE_SERVER=own), undefined on the shared server. */
  cluster: OwnCluster | undefined;
  baseUrl: string;
  /** The server's `autovacuum` setting. */
  autovacuum: string;
}

/**
 * Starts the own cluster under `sharedBuffers` (or takes DATABASE_URL's server) and refuses early
 * when the disk cannot hold `largeRows`: about 0.6 kB a session with its indexes, twice that while
 * generating (WAL).
 */
export async function openScaleServer(
  own: boolean,
  sharedBuffers: string | undefined,
  keep: boolean,
  largeRows: number,
  summary: Record<string, unknown>,
  log: (line: string) => void,
): Promise<ScaleServer> {
  let cluster: OwnCluster | undefined;
  let baseUrl = process.env.DATABASE_URL;
  if (own) {
    const dir = process.env.BENCH_SCALE_DIR ?? join(os.tmpdir(), "sessionkit-bench-scale-pg");
    const started = performance.now();
    cluster = await startOwnCluster(dir, clusterSettings(sharedBuffers as string), keep);
    baseUrl = cluster.url;
    log(
      `  own Postgres cluster in ${dir} on port ${cluster.port} (${((performance.now() - started) / 1000).toFixed(1)} s): ${JSON.stringify(cluster.settings)}`,
    );
    summary.cluster = cluster.settings;
  }
  if (!baseUrl) throw new Error("BENCH_SCALE_SERVER=shared needs DATABASE_URL");

  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  const [{ data_directory: dataDirectory } = { data_directory: "" }] =
    await admin`SELECT current_setting('data_directory') AS data_directory`;
  const [{ autovacuum } = { autovacuum: "on" }] = await admin`SELECT current_setting('autovacuum') AS autovacuum`;
  await admin.end({ timeout: 1 });
  try {
    const fs = statfsSync(dataDirectory);
    const free = fs.bavail * fs.bsize;
    log(`  disk free at ${dataDirectory}: ${(free / 2 ** 30).toFixed(1)} GB`);
    if (free < largeRows * 1500)
      throw new Error(`the scale suite needs about ${((largeRows * 1500) / 2 ** 30).toFixed(1)} GB free at ${dataDirectory}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" && (error as NodeJS.ErrnoException).code !== "EACCES") throw error;
    log(`  (cannot see ${dataDirectory}: Postgres on another machine? disk not checked)`);
  }
  return { cluster, baseUrl, autovacuum: String(autovacuum) };
}

/** The table and its indexes read into shared buffers (heap first, so the indexes stay). */
export async function prewarm(dbs: ScaleDb[], large: ScaleDb, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  for (const db of dbs) {
    try {
      await db.sql`CREATE EXTENSION IF NOT EXISTS pg_prewarm`;
      await db.sql`SELECT pg_prewarm('sessionkit_sessions'), pg_prewarm('sessionkit_sessions_user_id_idx'), pg_prewarm('sessionkit_sessions_pkey')`;
    } catch (error) {
      log(`  (no pg_prewarm on ${db.name}: ${String(error)})`);
    }
  }
  const [b] = await large.sql`SELECT current_setting('shared_buffers') AS shared_buffers`;
  log(`  prewarmed in ${((performance.now() - started) / 1000).toFixed(1)} s (shared_buffers ${b?.shared_buffers})`);
}
