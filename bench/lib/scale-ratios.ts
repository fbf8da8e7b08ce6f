// The scale suite's ratios: each operation at 10M rows against the same at 10k, the two servers
// measured in the same interleaved rounds, under each shared_buffers setting in turn (the own
// cluster restarted on the same data), with the HOT rate of those refreshes and the WAL per sign-in.

import os from "node:os";
import type { OwnCluster } from "../../test/helpers/servers.js";
import { type Figure, type SuiteContext, figure } from "./figures.js";
import { type Side, runInterleaved, runSide } from "./load.js";
import { prewarm } from "./scale-cluster.js";
import type { ScaleDb } from "./scale-data.js";
import { type ScaleServers, label, sleep, touch } from "./scale-sides.js";
import { hotRate, updateCounters, walNow } from "./scale-stats.js";

export interface RatiosRun {
  ctx: SuiteContext;
  small: ScaleDb;
  large: ScaleDb;
  cluster: OwnCluster | undefined;
  summary: Record<string, unknown>;
  log: (line: string) => void;
}

/**
 * The ratios under each of `bufferSettings` (undefined: the server as configured), switching the
 * own cluster to a setting it is not under with `restart` (which returns the new bench servers).
 * Returns the figures and the servers that are running at the end.
 */
export async function measureRatios(
  run: RatiosRun,
  servers: ScaleServers,
  bufferSettings: (string | undefined)[],
  restart: (buffers: string) => Promise<ScaleServers>,
): Promise<{ figures: Figure[]; servers: ScaleServers }> {
  const { ctx, small, large, cluster, summary, log } = run;
  const [ls, ll] = [label(small.rows), label(large.rows)];
  const figures: Figure[] = [];
  for (const [i, buffers] of bufferSettings.entries()) {
    if (cluster && buffers && cluster.settings.shared_buffers !== buffers) servers = await restart(buffers);
    if (cluster) await prewarm([small, large], large, log);
    await touch(servers, small, large, log);
    const setting = buffers ?? "as configured";
    const tag = i === 0 ? "" : ` (shared_buffers ${buffers})`;
    const hotBefore = { small: await updateCounters(small.sql), large: await updateCounters(large.sql) };
    const results = await runInterleaved(servers.sides, ctx.settings);
    await sleep(1500);
    const hot = {
      small: hotRate(hotBefore.small, await updateCounters(small.sql)),
      large: hotRate(hotBefore.large, await updateCounters(large.sql)),
    };
    figures.push(
      ...["sign-in", "refresh", "getSessionData", "check-database", "listSessions"].map((op) =>
        figure("scale", ctx.kind, results, `${op}: ${ll} / ${ls} rows${tag}`, `${op} @${ll}`, `${op} @${ls}`, { min: 0.9 }),
      ),
      figure(
        "scale",
        ctx.kind,
        results,
        `sign-in, UUIDv7 / UUIDv4 handles @${ll}${tag}`,
        `sign-in @${ll}`,
        `sign-in, UUIDv4 handle @${ll}`,
      ),
    );
    const wal = await walPerSignIn(run, servers.sides);
    log(`  WAL per sign-in (shared_buffers ${setting}): ${JSON.stringify(wal)}`);
    (summary.ratios ??= []) as unknown[];
    (summary.ratios as unknown[]).push({ sharedBuffers: setting, load1: os.loadavg()[0], hotApiRefresh: hot, walPerSignIn: wal });
  }
  return { figures, servers };
}

/**
 * WAL written per sign-in (pg_current_wal_lsn and pg_stat_wal deltas, cluster-wide) right
 * after a CHECKPOINT, when the first change of every page writes a full-page image: UUIDv7
 * and UUIDv4 handles on the large table, UUIDv7 on the small one.
 */
async function walPerSignIn({ ctx, small, large }: RatiosRun, all: Side[]) {
  const [ls, ll] = [label(small.rows), label(large.rows)];
  const out: Record<string, unknown> = {};
  for (const name of [`sign-in @${ll}`, `sign-in, UUIDv4 handle @${ll}`, `sign-in @${ls}`]) {
    const side = all.find((s) => s.name === name) as Side;
    await large.sql`CHECKPOINT`;
    const before = await walNow(large.sql);
    const r = await runSide(side, { seconds: ctx.quick ? 3 : 5, connections: ctx.settings.connections });
    await sleep(1200);
    const after = await walNow(large.sql);
    const [diff] = await large.sql`SELECT pg_wal_lsn_diff(${after.lsn}::pg_lsn, ${before.lsn}::pg_lsn)::bigint AS bytes`;
    out[name] = {
      signIns: r.requests,
      rps: Math.round(r.rps),
      walBytes: Math.round(Number(diff?.bytes) / r.requests),
      fullPageImages: +((after.fpi - before.fpi) / r.requests).toFixed(2),
      walRecords: +((after.records - before.records) / r.requests).toFixed(1),
    };
  }
  return out;
}
