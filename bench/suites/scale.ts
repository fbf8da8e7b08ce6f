// Ten million sessions (issue 15): the same operations at 10k and at 10M generated rows, each
// size in a database of its own (sessionkit_bench_scale_*, never the shared one), the two
// servers measured in the same interleaved rounds. Then, on the large database: the Postgres
// CPU per sign-in and per refresh (the ceiling of one primary), the HOT-update rate of the
// rotation statement over the whole table, and cleanup() of its expired tenth under traffic
// (p99 with and without). On the small one: the revocation log under 1,000 revocations a second.
//
// The Postgres: by default a cluster of the suite's own (initdb, a free port), configured as
// docs/postgres.md recommends (larger checkpoints, WAL compression, pg_prewarm), and the ratios
// measured under each shared_buffers setting in turn, restarting it on the same data: by default
// a quarter of RAM, then Postgres's default of 128 MB. Each time the table and its indexes are
// first read into shared buffers (pg_prewarm), as on a server that has been up.
//
// This file runs the phases in order; each phase is a file of bench/lib: scale-cluster (the
// server), scale-data (the databases and generated rows), scale-sides (the bench servers and the
// measured sides), scale-ratios, scale-ceiling, scale-cleanup, scale-revocations, scale-stats
// (sizes, HOT and WAL counters, backend CPU).
//
// Env: BENCH_SCALE_ROWS (default 10,000,000; --quick 200,000), BENCH_SCALE_KEEP=1 keeps the
// databases (and the own cluster's directory: a later run with the same sizes reuses them
// instead of generating again), BENCH_SCALE_REVOCATION_SECONDS (default 150; --quick 20),
// BENCH_SCALE_SERVER=own (default) | shared (the server of DATABASE_URL, as it is configured),
// BENCH_SCALE_SHARED_BUFFERS (own server: the settings measured, in order, default
// "<RAM/4>MB,128MB"; the other phases run under the first), BENCH_SCALE_DIR (the own cluster's
// directory, default <tmpdir>/sessionkit-bench-scale-pg), BENCH_SCALE_HANDLES=v7 (default: UUIDv7
// handles time-ordered by created_at, as 0.2 makes them) | v4 (0.1's random handles: the upgrade).

import os from "node:os";
import { stopServers } from "../lib/children.js";
import type { Figure, SuiteContext } from "../lib/figures.js";
import { probe } from "../lib/load.js";
import { measureCeiling, rotationSide } from "../lib/scale-ceiling.js";
import { cleanupUnderTraffic } from "../lib/scale-cleanup.js";
import { clusterSettings, openScaleServer, prewarm } from "../lib/scale-cluster.js";
import { SCALE_DB_PREFIX, dropScaleDb, openScaleDb } from "../lib/scale-data.js";
import { measureRatios } from "../lib/scale-ratios.js";
import { measureRevocations, singleRevocationRows } from "../lib/scale-revocations.js";
import { type TokenPool, label, startScaleServers, touch } from "../lib/scale-sides.js";
import { sizes } from "../lib/scale-stats.js";

export async function scaleSuite(ctx: SuiteContext): Promise<Figure[]> {
  if (ctx.kind !== "postgres") throw new Error("the scale suite runs on Postgres: --kind=postgres");
  const log = ctx.settings.log;
  const smallRows = 10_000;
  const largeRows = Number(process.env.BENCH_SCALE_ROWS ?? (ctx.quick ? 200_000 : 10_000_000));
  const keep = process.env.BENCH_SCALE_KEEP === "1";
  const revocationSeconds = Number(process.env.BENCH_SCALE_REVOCATION_SECONDS ?? (ctx.quick ? 20 : 150));
  // BENCH_SCALE_PHASES=ratios,ceiling,cleanup,revocations (default all): re-run a part on kept databases.
  const phases = new Set((process.env.BENCH_SCALE_PHASES ?? "ratios,ceiling,cleanup,revocations").split(","));
  const own = (process.env.BENCH_SCALE_SERVER ?? "own") === "own";
  const recommendedBuffers = `${Math.floor(os.totalmem() / 4 / 2 ** 20)}MB`;
  const bufferSettings = own ? (process.env.BENCH_SCALE_SHARED_BUFFERS ?? `${recommendedBuffers},128MB`).split(",") : [undefined];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), smallRows, largeRows, loadBefore: os.loadavg() };

  const { cluster, baseUrl, autovacuum } = await openScaleServer(own, bufferSettings[0], keep, largeRows, summary, log);
  const small = await openScaleDb(baseUrl, `${SCALE_DB_PREFIX}${label(smallRows).toLowerCase()}`, smallRows);
  const large = await openScaleDb(baseUrl, `${SCALE_DB_PREFIX}${label(largeRows).toLowerCase()}`, largeRows);
  const dbs = [small, large];
  const ll = label(largeRows);
  const figures: Figure[] = [];
  const startServersAndSides = () =>
    startScaleServers(ctx, small, large, {
      BENCH_REVOCATION_FROM: String(smallRows + 1),
      BENCH_REVOCATION_SINGLES: String(singleRevocationRows(revocationSeconds)),
    });
  /** The own cluster restarted under shared_buffers `buffers`, and the bench servers started again. */
  const restart = async (buffers: string) => {
    await stopServers();
    cluster?.restart(clusterSettings(buffers));
    return startServersAndSides();
  };
  try {
    summary.sizesFresh = { small: await sizes(small.sql), large: await sizes(large.sql) };
    let servers = await startServersAndSides();
    if (phases.has("ratios")) {
      const ratios = await measureRatios({ ctx, small, large, cluster, summary, log }, servers, bufferSettings, restart);
      figures.push(...ratios.figures);
      servers = ratios.servers;
    }
    const more = ["ceiling", "cleanup", "revocations"].some((phase) => phases.has(phase));
    if (cluster && more && cluster.settings.shared_buffers !== bufferSettings[0]) {
      servers = await restart(bufferSettings[0] as string);
      await prewarm(dbs, large, log);
      await touch(servers, small, large, log);
    }
    const { sides, pools, largeServer, smallServer } = servers;

    // The ceiling: Postgres CPU per operation on the large database, and the rotation statement
    // spread over the whole table (HOT).
    const rotate = rotationSide(largeServer);
    await probe(rotate, (status) => status === 200);
    if (phases.has("ceiling")) await measureCeiling(ctx, small, large, sides, rotate, summary);

    // cleanup() of the large database's expired sessions while traffic runs.
    if (phases.has("cleanup")) {
      summary.cleanup = await cleanupUnderTraffic(largeServer.url, pools.get(ll) as TokenPool, ctx, log);
      summary.sizesAfterCleanup = { large: await sizes(large.sql) };
    }

    // The revocation log under 1,000 revocations a second.
    if (phases.has("revocations"))
      summary.revocationLog = await measureRevocations(smallServer.url, small, smallRows, revocationSeconds, autovacuum === "off", log);
    summary.loadAfter = os.loadavg();

    log(`  scale summary: ${JSON.stringify(summary, null, 2)}`);
    return figures;
  } finally {
    await stopServers();
    for (const db of dbs) {
      if (keep) {
        await db.sql.end({ timeout: 1 });
        log(`  kept database ${db.name} (BENCH_SCALE_KEEP=1); drop it with: DROP DATABASE ${db.name}`);
      } else if (cluster) await db.sql.end({ timeout: 1 });
      else await dropScaleDb(baseUrl, db);
    }
    if (cluster) {
      cluster.close();
      log(keep ? `  kept the cluster in ${cluster.dir} (BENCH_SCALE_KEEP=1)` : `  own cluster stopped and removed`);
    }
  }
}
