// Live connections at scale, driven from its own process (run by bench/run.ts, suite "live";
// reports over IPC): 10,000 WebSocket subscriptions, one session each, on one server process
// (bench/servers/live.ts). Measures the server's memory per subscription, the time from one
// revocation to the end of the right stream while the others keep flowing, and a burst of
// 1,000 revocations (one user's 1,000 sessions) ending exactly their 1,000 streams.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import WebSocket from "ws";

const total = Number(process.env.BENCH_LIVE_STREAMS ?? "10000");
const burst = Math.min(Number(process.env.BENCH_LIVE_BURST ?? "1000"), Math.floor(total / 2));
const samplesWanted = 20;

const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "bench/servers/live.ts"], {
  env: process.env,
  stdio: ["ignore", "pipe", "inherit"],
});
const port = await new Promise<number>((resolve, reject) => {
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    if (line.startsWith("ready ")) resolve(Number(line.slice(6)));
  });
  child.once("exit", (code) => reject(new Error(`live server exited (${code})`)));
});
const base = `http://127.0.0.1:${port}`;
const post = async <T>(path: string, body: unknown = {}): Promise<T> =>
  (await (await fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body) })).json()) as T;

interface Stream {
  handle: string;
  socket: WebSocket;
  events: number;
  ended?: { at: number; code?: string };
  onEvent?: () => void;
  onEnd?: () => void;
}

async function open(minted: { cookie: string; handle: string }[]): Promise<Stream[]> {
  const streams: Stream[] = [];
  for (let i = 0; i < minted.length; i += 200) {
    const batch = await Promise.all(
      minted.slice(i, i + 200).map(
        ({ cookie, handle }) =>
          new Promise<Stream>((resolve, reject) => {
            const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { cookie } });
            const stream: Stream = { handle, socket, events: 0 };
            socket.on("message", (data) => {
              const message = JSON.parse(String(data)) as { result?: { type: string }; error?: { data?: { sessionCode?: string } } };
              if (message.result?.type === "started") resolve(stream);
              else if (message.result?.type === "data") {
                stream.events++;
                stream.onEvent?.();
              } else if (message.error) {
                stream.ended = { at: performance.now(), code: message.error.data?.sessionCode };
                stream.onEnd?.();
              }
            });
            socket.once("error", reject);
            socket.once("open", () => socket.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "feed" } })));
          }),
      ),
    );
    streams.push(...batch);
  }
  return streams;
}

/** Publishes one event and waits until every stream in `alive` has it. */
async function publishAndWait(alive: Stream[]): Promise<number> {
  const before = new Map(alive.map((s) => [s, s.events]));
  const start = performance.now();
  let pending = alive.length;
  const done = new Promise<void>((resolve) => {
    for (const s of alive) {
      s.onEvent = () => {
        if (s.events === (before.get(s) ?? 0) + 1 && --pending === 0) resolve();
      };
    }
  });
  await post("/publish");
  await done;
  return performance.now() - start;
}

const empty = await post<{ heapUsed: number; rss: number }>("/stats");
const minted = [
  ...(await post<{ cookie: string; handle: string }[]>("/mint", { count: total - burst, userId: "bench-live" })),
  ...(await post<{ cookie: string; handle: string }[]>("/mint", { count: burst, userId: "bench-burst" })),
];
const baseline = await post<{ heapUsed: number; rss: number }>("/stats");
const streams = await open(minted);
const loaded = await post<{ heapUsed: number; rss: number; watches: number; sockets: number }>("/stats");
let alive = [...streams];
const fanOutMs = await publishAndWait(alive);

// One revocation at a time: the right stream ends, the others keep flowing.
const latencies: number[] = [];
for (let i = 0; i < samplesWanted; i++) {
  const victim = alive[i * 7] as Stream;
  const ended = new Promise<void>((resolve) => {
    victim.onEnd = resolve;
  });
  await post("/revoke", { handle: victim.handle });
  const returned = performance.now();
  await ended;
  latencies.push(Math.max(0, (victim.ended?.at ?? returned) - returned));
  if (victim.ended?.code !== "UNAUTHORISED") throw new Error(`stream ended with ${victim.ended?.code}`);
  alive = alive.filter((s) => s !== victim);
}
const othersEndedEarly = alive.filter((s) => s.ended).length;
const afterSingles = await publishAndWait(alive);

// A burst: one user's 1,000 sessions revoked in one call.
const burstStreams = alive.filter((s) => minted.findIndex((m) => m.handle === s.handle) >= total - burst);
const burstSet = new Set(burstStreams);
let burstEnded = 0;
const burstStart = performance.now();
const allBurstEnded = new Promise<void>((resolve) => {
  for (const s of burstStreams) {
    s.onEnd = () => {
      if (++burstEnded === burstStreams.length) resolve();
    };
  }
});
const revoked = await post<{ handles: number }>("/revoke-user", { userId: "bench-burst" });
const burstReturned = performance.now();
await allBurstEnded;
const burstAllEndedMs = performance.now() - burstReturned;
const burstTotalMs = performance.now() - burstStart;
alive = alive.filter((s) => !burstSet.has(s));
const wrongEnded = alive.filter((s) => s.ended).length;
const afterBurst = await publishAndWait(alive);

for (const s of streams) s.socket.terminate();
// Sockets closed: their contexts, sessions and watches must go (FinalizationRegistry after GC).
let closed = await post<{ heapUsed: number; watches: number; sockets: number }>("/stats");
for (let i = 0; i < 20 && (closed.watches > 0 || closed.sockets > 0); i++) {
  await new Promise((resolve) => setTimeout(resolve, 250));
  closed = await post("/stats");
}
child.kill("SIGTERM");

const sorted = [...latencies].sort((a, b) => a - b);
const pick = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 100) / 100;
process.send?.({
  streams: streams.length,
  memoryPerStreamKB: (loaded.heapUsed - baseline.heapUsed) / streams.length / 1024,
  rssPerStreamKB: (loaded.rss - baseline.rss) / streams.length / 1024,
  sessionsHeapMB: (baseline.heapUsed - empty.heapUsed) / 1048576,
  watches: loaded.watches,
  fanOutMs,
  revocation: { n: latencies.length, p50: pick(0.5), p95: pick(0.95), max: pick(1) },
  othersEndedEarly,
  afterSinglesFanOutMs: afterSingles,
  burst: { revoked: revoked.handles, ended: burstEnded, wrongEnded, sinceReturnMs: burstAllEndedMs, sinceCallMs: burstTotalMs },
  afterBurstFanOutMs: afterBurst,
  afterClose: { watches: closed.watches, heapDeltaMB: (closed.heapUsed - baseline.heapUsed) / 1048576 },
});
process.exit(0);
