// cleanup() of the large database's expired sessions (a tenth of its rows) in bounded batches
// while closed-loop traffic runs: the traffic's p99 during the cleanup against before and after.

import type { SuiteContext } from "./figures.js";
import { setCookieValue } from "./cookies.js";
import { type TokenPool, type Tokens, sleep } from "./scale-sides.js";

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

/** Closed-loop traffic (refreshes and getSessionData, half the connections each) with every latency kept. */
async function traffic(url: string, pool: TokenPool, connections: number, until: () => boolean) {
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

export async function cleanupUnderTraffic(
  url: string,
  pool: TokenPool,
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
  // BENCH_SCALE_CLEANUP_PAUSE_MS / BENCH_SCALE_CLEANUP_BATCH: cleanup({ pauseMs, batchSize }) (default: the library's).
  const options = {
    ...(process.env.BENCH_SCALE_CLEANUP_PAUSE_MS ? { pauseMs: Number(process.env.BENCH_SCALE_CLEANUP_PAUSE_MS) } : {}),
    ...(process.env.BENCH_SCALE_CLEANUP_BATCH ? { batchSize: Number(process.env.BENCH_SCALE_CLEANUP_BATCH) } : {}),
  };
  const started = await fetch(`${url}/cleanup`, { method: "POST", body: JSON.stringify(options) });
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
    options,
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
