// The memory figure, in its own process: 1M `getSession` calls (no HTTP, to reach 1M quickly)
// with many more distinct valid tokens than the verified-token cache holds. RSS and heap are
// sampled after a GC every 10% of the run; they must level off, not grow with the requests.
// Run by bench/run.ts as a child with --expose-gc; prints nothing, reports over IPC.

import { randomUUID } from "node:crypto";
import { engineOf } from "../src/core/internal.js";
import { createSessions } from "../src/index.js";
import { drizzleStore } from "../src/storage/index.js";
import { BENCH_SECRET, env, openDb } from "./servers/common.js";

const requests = Number(env("BENCH_MEMORY_REQUESTS", "1000000"));
const distinct = Number(env("BENCH_MEMORY_TOKENS", "30000"));
const hotSet = Math.floor(distinct / 6);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

const bench = await openDb();
const sessions = createSessions({ store: drizzleStore(bench.db), secret: BENCH_SECRET, cookies: { secure: false } });
const engine = engineOf(sessions);

// Real access tokens of the default configuration (RS256, default cache size), each for its own
// session handle. Revocation "none" never reads the row, so no rows are needed.
const tokens: string[] = [];
for (let i = 0; i < distinct; i++) {
  const { issued } = await engine.issueAccess(`user-${i}`, randomUUID(), { role: "member", i }, Date.now());
  tokens.push(issued.token);
}

// Most traffic from a hot set of active users, the rest spread over everyone: the cache keeps
// turning over, so both the hit path and the verify-and-insert path run all the time.
let seed = 0x9e3779b9;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const pick = () => Math.floor(random() < 0.9 ? random() * hotSet : random() * distinct);

const sample = (at: number) => {
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { at, rssMB: rss / 2 ** 20, heapMB: heapUsed / 2 ** 20 };
};

const before = sample(0);
const samples: ReturnType<typeof sample>[] = [];
const response = new Headers();
const step = Math.max(1, Math.floor(requests / 10));
const started = performance.now();
for (let i = 1; i <= requests; i++) {
  const request = { method: "GET", headers: { cookie: `sAccessToken=${tokens[pick()]}` } };
  await sessions.getSession(request, response);
  if (i % step === 0) samples.push(sample(i));
}
const seconds = (performance.now() - started) / 1000;

// Growth over the second half of the run: a cache that leaks keeps growing here; a bounded one is flat.
const mid = samples[Math.floor(samples.length / 2) - 1] ?? before;
const last = samples[samples.length - 1] ?? before;
process.send?.({
  type: "memory",
  requests,
  distinctTokens: distinct,
  tokenCacheSize: 10_000,
  callsPerSecond: requests / seconds,
  before,
  samples,
  rssGrowthSecondHalfMB: last.rssMB - mid.rssMB,
  heapGrowthSecondHalfMB: last.heapMB - mid.heapMB,
});
await sessions.close();
await bench.close();
process.exit(0);
