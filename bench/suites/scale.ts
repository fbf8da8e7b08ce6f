// Ten million sessions (issue 15): the same operations at 10k and at 10M generated rows, each
// size in a database of its own (sessionkit_bench_scale_*, never the shared one), the two
// servers measured in the same interleaved rounds. Then, on the large database: the Postgres
// CPU per sign-in and per refresh (the ceiling of one primary), the HOT-update rate of the
// rotation statement over the whole table, and cleanup() of its expired tenth under traffic
// (p99 with and without). On the small one: the revocation log under 1,000 revocations a second.
//
// The Postgres: by default a cluster of the suite's own (initdb, a free port), configured as
// docs/postgres.md recommends (shared_buffers a quarter of RAM, larger checkpoints, WAL
// compression), and the ratios measured under each shared_buffers setting in turn, restarting it
// on the same data: the recommended one, then Postgres's default of 128 MB. Each time the table
// and its indexes are first read into shared buffers (pg_prewarm), as on a server that has been up.
//
// Env: BENCH_SCALE_ROWS (default 10,000,000; --quick 200,000), BENCH_SCALE_KEEP=1 keeps the
// databases (and the own cluster's directory: a later run with the same sizes reuses them
// instead of generating again), BENCH_SCALE_REVOCATION_SECONDS (default 150; --quick 20),
// BENCH_SCALE_SERVER=own (default) | shared (the server of DATABASE_URL, as it is configured),
// BENCH_SCALE_SHARED_BUFFERS (own server: the settings measured, in order, default
// "<RAM/4>MB,128MB"; the other phases run under the first), BENCH_SCALE_DIR (the own cluster's
// directory, default <tmpdir>/sessionkit-bench-scale-pg), BENCH_SCALE_HANDLES=v7 (default: UUIDv7
// handles time-ordered by created_at, as 0.2 makes them) | v4 (0.1's random handles: the upgrade).

import { statfsSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import postgres from "postgres";
import { setCookieValue } from "../lib/cookies.js";
import { stopServers } from "../lib/children.js";
import { type Figure, type SuiteContext, figure } from "../lib/figures.js";
import { type Side, probe, runInterleaved, runSide } from "../lib/load.js";
import { type OwnCluster, startOwnCluster } from "../../test/helpers/servers.js";
import {
  REVOKED_PER_USER,
  SCALE_DB_PREFIX,
  type ScaleDb,
  backendCpuSeconds,
  dropScaleDb,
  generate,
  hotRate,
  openScaleDb,
  sizes,
  updateCounters,
} from "../lib/scale-data.js";

interface Tokens {
  access: string;
  refresh: string;
}

const label = (rows: number) => (rows >= 1_000_000 ? `${rows / 1_000_000}M` : `${rows / 1000}k`);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The own cluster's settings (docs/postgres.md) with `sharedBuffers`. */
function clusterSettings(sharedBuffers: string): Record<string, string> {
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

/** Postgres's WAL counters now (cluster-wide). */
async function walNow(sql: postgres.Sql): Promise<{ lsn: string; records: number; fpi: number; bytes: number }> {
  await sql`SELECT pg_stat_clear_snapshot()`;
  const [r] = await sql`SELECT pg_current_wal_lsn()::text AS lsn, wal_records, wal_fpi, wal_bytes FROM pg_stat_wal`;
  return { lsn: String(r?.lsn), records: Number(r?.wal_records), fpi: Number(r?.wal_fpi), bytes: Number(r?.wal_bytes) };
}

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

  let cluster: OwnCluster | undefined;
  let baseUrl = process.env.DATABASE_URL;
  if (own) {
    const dir = process.env.BENCH_SCALE_DIR ?? join(os.tmpdir(), "sessionkit-bench-scale-pg");
    const started = performance.now();
    cluster = await startOwnCluster(dir, clusterSettings(bufferSettings[0] as string), keep);
    baseUrl = cluster.url;
    log(
      `  own Postgres cluster in ${dir} on port ${cluster.port} (${((performance.now() - started) / 1000).toFixed(1)} s): ${JSON.stringify(cluster.settings)}`,
    );
    summary.cluster = cluster.settings;
  }
  if (!baseUrl) throw new Error("BENCH_SCALE_SERVER=shared needs DATABASE_URL");

  // About 0.6 kB a session with its indexes, twice that while generating (WAL): refuse early.
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

  const small = await openScaleDb(baseUrl, `${SCALE_DB_PREFIX}${label(smallRows).toLowerCase()}`, smallRows);
  const large = await openScaleDb(baseUrl, `${SCALE_DB_PREFIX}${label(largeRows).toLowerCase()}`, largeRows);
  const dbs = [small, large];
  const [ls, ll] = [label(smallRows), label(largeRows)];
  const figures: Figure[] = [];
  const connections = ctx.settings.connections;
  try {
    summary.sizesFresh = { small: await sizes(small.sql), large: await sizes(large.sql) };
    /** The table and its indexes read into shared buffers (heap first, so the indexes stay). */
    const prewarm = async () => {
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
    };

    /**
     * Each bench server's pool connections read every page of the table and its indexes once
     * (bench/servers/scale.ts /setup/touch): a backend's first touch of a shared-buffers page is a
     * minor page fault in that process, which pg_prewarm (another backend) does not save it. Without
     * this, the large side's fresh connections pay ~1.5 faults per listSessions all run long and the
     * 10k side none: listSessions 0.52 from that alone (bench/RESULTS.md).
     */
    const touch = async (s: { smallServer: { url: string }; largeServer: { url: string } }) => {
      for (const [name, server] of [
        [ls, s.smallServer],
        [ll, s.largeServer],
      ] as const) {
        const response = await fetch(`${server.url}/setup/touch`, { method: "POST" });
        if (!response.ok) throw new Error(`touch ${name}: ${response.status} ${await response.text()}`);
        let state: { running: boolean; ms?: number; error?: string } = { running: true };
        while (state.running) {
          await sleep(250);
          state = (await (await fetch(`${server.url}/setup/touch`)).json()) as typeof state;
        }
        if (state.error) throw new Error(`touch ${name}: ${state.error}`);
        log(`  ${name}: every page touched by each pool connection in ${((state.ms ?? 0) / 1000).toFixed(1)} s`);
      }
    };
    let servers = await startServersAndSides();
    for (const [i, buffers] of bufferSettings.entries()) {
      if (!phases.has("ratios")) break;
      if (cluster && buffers && cluster.settings.shared_buffers !== buffers) {
        await stopServers();
        cluster.restart(clusterSettings(buffers));
        servers = await startServersAndSides();
      }
      if (cluster) await prewarm();
      await touch(servers);
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
      const wal = await walPerSignIn(servers.sides);
      log(`  WAL per sign-in (shared_buffers ${setting}): ${JSON.stringify(wal)}`);
      (summary.ratios ??= []) as unknown[];
      (summary.ratios as unknown[]).push({ sharedBuffers: setting, load1: os.loadavg()[0], hotApiRefresh: hot, walPerSignIn: wal });
    }
    const more = ["ceiling", "cleanup", "revocations"].some((phase) => phases.has(phase));
    if (cluster && more && cluster.settings.shared_buffers !== bufferSettings[0]) {
      await stopServers();
      cluster.restart(clusterSettings(bufferSettings[0] as string));
      servers = await startServersAndSides();
      await prewarm();
      await touch(servers);
    }
    const { sides, pools, largeServer, smallServer } = servers;

    // The ceiling: Postgres CPU per operation on the large database, and the rotation statement
    // spread over the whole table (HOT).
    const phaseSeconds = ctx.quick ? 3 : 10;
    const cpuPhase = async (side: Side) => {
      const before = await backendCpuSeconds(large.sql, large.name, "sessionkit-bench");
      const r = await runSide(side, { seconds: phaseSeconds, connections });
      const after = await backendCpuSeconds(large.sql, large.name, "sessionkit-bench");
      const pgUs = ((after - before) * 1e6) / r.requests;
      return {
        rps: Math.round(r.rps),
        p50: r.p50,
        p99: r.p99,
        appCpuUs: Math.round(r.cpuUs ?? 0),
        pgCpuUs: Math.round(pgUs),
        perPgCore: Math.round(1e6 / pgUs),
      };
    };
    const byName = (name: string) => sides.find((s) => s.name === name) as Side;
    const rotate: Side = {
      name: "rotation statement, random generated rows",
      method: "POST",
      url: `${largeServer.url}/rotate`,
      server: largeServer,
    };
    await probe(rotate, (status) => status === 200);
    if (phases.has("ceiling")) {
      const ceiling: Record<string, unknown> = { load1: os.loadavg()[0] };
      ceiling.signIn = await cpuPhase(byName(`sign-in @${ll}`));
      ceiling.refresh = await cpuPhase(byName(`refresh @${ll}`));
      const rotateBefore = await updateCounters(large.sql);
      ceiling.rotation = await cpuPhase(rotate);
      await sleep(1500);
      summary.hotRotation = hotRate(rotateBefore, await updateCounters(large.sql));
      summary.ceiling = ceiling;
      summary.sizesAfter = { small: await sizes(small.sql), large: await sizes(large.sql) };
    }

    // cleanup() of the large database's expired sessions while traffic runs.
    if (phases.has("cleanup")) {
      summary.cleanup = await cleanupUnderTraffic(largeServer.url, pools.get(ll) as { refresh: Tokens[]; access: Tokens[] }, ctx, log);
      summary.sizesAfterCleanup = { large: await sizes(large.sql) };
    }

    // The revocation log under 1,000 revocations a second.
    if (phases.has("revocations")) await revocations();
    summary.loadAfter = os.loadavg();

    log(`  scale summary: ${JSON.stringify(summary, null, 2)}`);
    return figures;

    async function revocations() {
      const revocationRows = singleRevocationRows(revocationSeconds) + Math.ceil(1000 * revocationSeconds * 1.3);
      await generate(small.url, smallRows + 1, revocationRows, {
        userPrefix: "revoked-",
        sessionsPerUser: REVOKED_PER_USER,
        handles: small.handles,
      });
      summary.revocationLog = await revocationLog(smallServer.url, small, revocationSeconds, autovacuum === "off", log);
    }

    /**
     * WAL written per sign-in (pg_current_wal_lsn and pg_stat_wal deltas, cluster-wide) right
     * after a CHECKPOINT, when the first change of every page writes a full-page image: UUIDv7
     * and UUIDv4 handles on the large table, UUIDv7 on the small one.
     */
    async function walPerSignIn(all: Side[]) {
      const out: Record<string, unknown> = {};
      for (const name of [`sign-in @${ll}`, `sign-in, UUIDv4 handle @${ll}`, `sign-in @${ls}`]) {
        const side = all.find((s) => s.name === name) as Side;
        await large.sql`CHECKPOINT`;
        const before = await walNow(large.sql);
        const r = await runSide(side, { seconds: ctx.quick ? 3 : 5, connections });
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

  /** The two bench servers, one per size, their sets of signed-in sessions and the measured sides. */
  async function startServersAndSides() {
    const start = (db: ScaleDb, extra: Record<string, string> = {}) =>
      ctx.start(`scale-${label(db.rows)}`, "scale.ts", {
        DATABASE_URL: db.url,
        BENCH_SCHEMA: "public",
        BENCH_SCALE_ROWS: String(db.rows),
        BENCH_SCALE_HANDLES: db.handles.shape,
        BENCH_SCALE_BASE_MS: String(db.handles.baseMs),
        BENCH_POOL: "10",
        ...extra,
      });
    const smallServer = await start(small, {
      BENCH_REVOCATION_FROM: String(smallRows + 1),
      BENCH_REVOCATION_SINGLES: String(singleRevocationRows(revocationSeconds)),
    });
    const largeServer = await start(large);
    const perConnection = 50;
    const connections = ctx.settings.connections;
    const setup = async (url: string, prefix: string): Promise<Tokens[]> => {
      const response = await fetch(`${url}/setup/sessions`, {
        method: "POST",
        body: JSON.stringify({ count: connections * perConnection + 1, prefix }),
      });
      if (!response.ok) throw new Error(`set-up: ${response.status} ${await response.text()}`);
      return (await response.json()) as Tokens[];
    };

    // The sides: each operation on each size; per connection a ring of sessions of its own.
    const sides: Side[] = [];
    const pools = new Map<string, { refresh: Tokens[]; access: Tokens[] }>();
    for (const [db, server] of [
      [small, smallServer],
      [large, largeServer],
    ] as const) {
      const size = label(db.rows);
      const pool = { refresh: await setup(server.url, `scale-refresh-${size}`), access: await setup(server.url, `scale-access-${size}`) };
      pools.set(size, pool);
      const ring = (list: Tokens[], kind: "refresh" | "access") => (i: number) => {
        // Index -1 is the probe's: the last session of the list, outside every connection's ring.
        const base = i < 0 ? list.length - 1 : i * perConnection;
        const span = i < 0 ? 1 : perConnection;
        let at = 0;
        let current = list[base] as Tokens;
        return {
          setup: (request: { headers: Record<string, string> }) => {
            current = list[base + (at++ % span)] as Tokens;
            request.headers.cookie = kind === "refresh" ? `sRefreshToken=${current.refresh}` : `sAccessToken=${current.access}`;
          },
          onResponse: (_status: number, headers: Record<string, string | string[]>) => {
            const next = kind === "refresh" ? setCookieValue(headers["set-cookie"], "sRefreshToken") : undefined;
            if (next) current.refresh = next;
          },
        };
      };
      sides.push(
        { name: `sign-in @${size}`, method: "POST", url: `${server.url}/signin`, server },
        {
          name: `refresh @${size}`,
          method: "POST",
          url: `${server.url}/auth/session/refresh`,
          headers: { rid: "session" },
          server,
          perConnection: ring(pool.refresh, "refresh"),
        },
        { name: `getSessionData @${size}`, url: `${server.url}/data`, server, perConnection: ring(pool.access, "access") },
        { name: `check-database @${size}`, url: `${server.url}/verify`, server, perConnection: ring(pool.access, "access") },
        { name: `listSessions @${size}`, url: `${server.url}/list`, server },
      );
      // 0.1's random handles, same sign-in otherwise: what the time-ordered handle changes.
      if (db === large) sides.push({ name: `sign-in, UUIDv4 handle @${size}`, method: "POST", url: `${server.url}/signin-v4`, server });
    }
    for (const side of sides) await probe(side, (status) => status === 200);
    return { sides, pools, smallServer, largeServer };
  }
}

/** Closed-loop traffic (refreshes and getSessionData, half the connections each) with every latency kept. */
async function traffic(url: string, pool: { refresh: Tokens[]; access: Tokens[] }, connections: number, until: () => boolean) {
  const latencies: number[] = [];
  let errors = 0;
  const loop = async (i: number) => {
    const refresh = i % 2 === 0;
    const list = refresh ? pool.refresh : pool.access;
    const ring = list.filter((_, k) => k % connections === i);
    for (let at = 0; !until(); at++) {
      const t = ring[at % ring.length] as Tokens;
      const started = performance.now();
      const response = refresh
        ? await fetch(`${url}/auth/session/refresh`, { method: "POST", headers: { rid: "session", cookie: `sRefreshToken=${t.refresh}` } })
        : await fetch(`${url}/data`, { headers: { cookie: `sAccessToken=${t.access}` } });
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      if (!response.ok) errors++;
      if (refresh) {
        const next = setCookieValue(response.headers.getSetCookie(), "sRefreshToken");
        if (next) t.refresh = next;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, i) => loop(i)));
  const sorted = latencies.sort((a, b) => a - b);
  return { requests: sorted.length, errors, p50: percentile(sorted, 50), p99: percentile(sorted, 99), sorted };
}

async function cleanupUnderTraffic(
  url: string,
  pool: { refresh: Tokens[]; access: Tokens[] },
  ctx: SuiteContext,
  log: (line: string) => void,
): Promise<Record<string, unknown>> {
  const connections = ctx.settings.connections;
  const quiet = ctx.quick ? 5_000 : 20_000;
  const timed = (ms: number) => {
    const end = performance.now() + ms;
    return () => performance.now() >= end;
  };
  const before = await traffic(url, pool, connections, timed(quiet));
  log(`  traffic without cleanup: ${before.requests} requests, p50 ${before.p50.toFixed(1)} ms, p99 ${before.p99.toFixed(1)} ms`);
  const started = await fetch(`${url}/cleanup`, { method: "POST", body: "{}" });
  if (!started.ok) throw new Error(`cleanup: ${started.status}`);
  let state: { running: boolean; ms?: number; result?: unknown; error?: string } = { running: true };
  const poller = (async () => {
    while (state.running) {
      await sleep(250);
      state = (await (await fetch(`${url}/cleanup`)).json()) as typeof state;
    }
  })();
  const during = await traffic(url, pool, connections, () => !state.running);
  await poller;
  if (state.error) throw new Error(`cleanup failed: ${state.error}`);
  log(
    `  traffic during cleanup (${((state.ms ?? 0) / 1000).toFixed(1)} s, ${JSON.stringify(state.result)}): ${during.requests} requests, p50 ${during.p50.toFixed(1)} ms, p99 ${during.p99.toFixed(1)} ms`,
  );
  const after = await traffic(url, pool, connections, timed(quiet));
  log(`  traffic after cleanup: ${after.requests} requests, p50 ${after.p50.toFixed(1)} ms, p99 ${after.p99.toFixed(1)} ms`);
  const without = [...before.sorted, ...after.sorted].sort((a, b) => a - b);
  const p99Without = percentile(without, 99);
  return {
    cleanupMs: Math.round(state.ms ?? 0),
    removed: state.result,
    requestsDuring: during.requests,
    errors: before.errors + during.errors + after.errors,
    p50WithoutMs: +percentile(without, 50).toFixed(1),
    p99WithoutMs: +p99Without.toFixed(1),
    p50DuringMs: +during.p50.toFixed(1),
    p99DuringMs: +during.p99.toFixed(1),
    p99Ratio: +(during.p99 / p99Without).toFixed(2),
    target: "≤ 1.5",
  };
}

/** Generated rows the single revocations may use: the full-speed turns, then 1,000/s asked before and after coalescing. */
const singleRevocationRows = (seconds: number) => 60_000 + Math.ceil(2 * 1000 * seconds * 1.1);

/** The log's size and span (now − its oldest entry), sampled every 5 s while `run` runs; VACUUMed every 10 s when autovacuum is off. */
async function watchLog<T>(db: ScaleDb, vacuum: boolean, run: () => Promise<T>) {
  const samples: { at: number; rows: number; kB: number; spanS: number; load1: number }[] = [];
  const started = performance.now();
  const sample = async () => {
    const [r] = await db.sql`SELECT count(*)::int AS rows, pg_total_relation_size('sessionkit_revocations') AS bytes,
      coalesce(extract(epoch FROM now() - min(revoked_at)), 0)::float AS span FROM sessionkit_revocations`;
    samples.push({
      at: Math.round((performance.now() - started) / 1000),
      rows: Number(r?.rows),
      kB: Math.round(Number(r?.bytes) / 1024),
      spanS: +Number(r?.span).toFixed(1),
      load1: +(os.loadavg()[0] ?? 0).toFixed(1),
    });
  };
  let sampling = true;
  const sampler = (async () => {
    let tick = 0;
    while (sampling) {
      await sample();
      // Autovacuum is off on this server: vacuum the log every 10 s as it would.
      if (vacuum && ++tick % 2 === 0) await db.sql`VACUUM sessionkit_revocations`;
      await sleep(5000);
    }
  })();
  try {
    return { result: await run(), samples };
  } finally {
    sampling = false;
    await sampler;
    await sample();
  }
}

async function revocationLog(url: string, db: ScaleDb, seconds: number, vacuum: boolean, log: (line: string) => void) {
  const ttl = Number(process.env.BENCH_REVOCATION_TTL ?? "10");
  const windowSeconds = ttl + 60;
  // Single sign-outs at full speed, before (each its own statement and commit) and after
  // coalescing, in alternating turns: their ceilings as a same-moment ratio. A NOTIFYing commit
  // holds the notify lock through its WAL flush, so the before is capped near one per flush.
  const turnSeconds = Math.min(5, seconds);
  const ceiling = { before: [] as number[], after: [] as number[], load1: os.loadavg()[0] };
  for (let turn = 0; turn < 3; turn++) {
    for (const [side, path] of [
      ["before", "/revoke-unbatched"],
      ["after", "/revoke"],
    ] as const) {
      const r = await autocannon({ url: `${url}${path}`, method: "POST", connections: 32, duration: turnSeconds });
      ceiling[side].push(Math.round(r.requests.total / r.duration));
    }
  }
  const med = (list: number[]) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)] ?? Number.NaN;
  const ceilingRatio = +(med(ceiling.after) / med(ceiling.before)).toFixed(2);
  log(
    `  single sign-outs at full speed, 32 callers: before ${ceiling.before.join(", ")}/s, after ${ceiling.after.join(", ")}/s (×${ceilingRatio})`,
  );

  // 1,000 single sign-outs a second asked, before and after coalescing, each for `seconds`
  // (longer than the log's window, so its bound shows): achieved rate, p99, the log over time.
  const singleLoad = async (path: string) => {
    const load1 = os.loadavg()[0];
    const { result, samples } = await watchLog(db, vacuum, () =>
      autocannon({ url: `${url}${path}`, method: "POST", connections: 50, overallRate: 1000, duration: seconds }),
    );
    const rate = result.requests.total / result.duration;
    const settled = samples.filter((s) => s.at >= windowSeconds);
    return {
      asked: 1000,
      achieved: Math.round(rate),
      p99Ms: result.latency.p99,
      failed: result.non2xx + result.errors,
      load1,
      expectedRows: Math.round(rate * windowSeconds),
      maxRows: Math.max(...samples.map((s) => s.rows)),
      maxRowsAfterWindow: settled.length > 0 ? Math.max(...settled.map((s) => s.rows)) : undefined,
      maxSpanS: Math.max(...samples.map((s) => s.spanS)),
      samples,
    };
  };
  const singleBefore = await singleLoad("/revoke-unbatched");
  log(`  1,000 single sign-outs/s asked, before coalescing: ${JSON.stringify({ ...singleBefore, samples: undefined })}`);
  const singleAfter = await singleLoad("/revoke");
  log(`  1,000 single sign-outs/s asked, after coalescing: ${JSON.stringify({ ...singleAfter, samples: undefined })}`);

  // 1,000 revocations a second: 100 sign-outs everywhere a second, of REVOKED_PER_USER sessions each.
  const { result, samples } = await watchLog(db, vacuum, () =>
    autocannon({ url: `${url}/revoke-user`, method: "POST", connections: 10, overallRate: 1000 / REVOKED_PER_USER, duration: seconds }),
  );
  const rate = (result.requests.total * REVOKED_PER_USER) / result.duration;
  const out = {
    seconds,
    windowSeconds,
    vacuumedEvery10s: vacuum,
    singleCeiling: { ...ceiling, ratio: ceilingRatio },
    singleBefore,
    singleAfter,
    singleAchievedRatio: +(singleAfter.achieved / singleBefore.achieved).toFixed(2),
    revocationsPerSecond: Math.round(rate),
    statementsPerSecond: Math.round(result.requests.total / result.duration),
    failed: result.non2xx + result.errors,
    p99Ms: result.latency.p99,
    expectedRows: Math.round(rate * windowSeconds),
    maxRows: Math.max(...samples.map((s) => s.rows)),
    maxSpanS: Math.max(...samples.map((s) => s.spanS)),
    samples,
  };
  log(`  revocation log: ${JSON.stringify(out)}`);
  return out;
}
