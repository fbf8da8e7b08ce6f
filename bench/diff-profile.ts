// Where a call's extra time goes: two identical bench servers, one loaded only with the
// baseline and one only with the call measured, in alternating turns, each CPU-profiled; then
// the per-request self time of every function (and of each area: sessionkit, Drizzle,
// postgres.js, undici, node:http…), measured minus baseline. Steadier than throughput on a busy
// machine because both servers see the same noise. Not part of `npm run bench`.
//   --pair=trpc     tRPC protected vs public (revocation from --revocation)
//   --pair=refresh  POST /auth/session/refresh vs the bare UPDATE … RETURNING route (ops server)
//   --pair=payload  getSession + updateJWTPayload vs the bare UPDATE route (ops server)
//   --pair=signin   sign-in over tRPC: sessionkit none (trpc.ts) vs the jose + refresh row peer (peers.ts)
// Usage: [DATABASE_URL=…] npx tsx bench/diff-profile.ts [--pair=trpc] [--revocation=none] [--turns=8] [--top=25]
// (Postgres with DATABASE_URL, in a schema of its own; PGlite otherwise)

import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { profileChildrenInto, startServer, stopServers } from "./lib/children.js";
import { type BenchSchema, createBenchSchema } from "./lib/database.js";
import { type Side, runSide } from "./lib/load.js";
import { opsSides } from "./suites/ops.js";
import { signInSide } from "./suites/peers.js";
import { trpcSides } from "./suites/trpc.js";

const { values } = parseArgs({
  options: {
    pair: { type: "string", default: "trpc" },
    revocation: { type: "string", default: "none" },
    turns: { type: "string", default: "8" },
    top: { type: "string", default: "25" },
  },
});
const dir = mkdtempSync(join(tmpdir(), "sk-diff-profile-"));
profileChildrenInto(dir);

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * When each server was under load, in µs of the monotonic clock V8 stamps its samples with
 * (CLOCK_MONOTONIC, as process.hrtime): only those samples count, so start-up (module
 * compilation, tsx's loader) and the setup requests stay out of the per-request figures.
 */
const windows = new Map<string, [number, number][]>();
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
async function underLoad<T>(server: string, work: () => Promise<T>): Promise<T> {
  const start = nowUs();
  try {
    return await work();
  } finally {
    const list = windows.get(server) ?? [];
    list.push([start, nowUs()]);
    windows.set(server, list);
  }
}

/** Where a frame's code lives (as bench/profile.ts groups it). */
function area(url: string, name: string): string {
  if (!url) return name === "(garbage collector)" ? "GC" : name.startsWith("(") ? name : "native (V8 builtins, C++)";
  if (url.includes("/src/")) return "sessionkit";
  if (url.includes("/bench/")) return "bench server";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith("node:internal/deps/undici")) return "undici (fetch Headers/Response)";
  if (url.startsWith("node:_http") || url.startsWith("node:http")) return "node:http";
  if (url.startsWith("node:")) return "node internals";
  return url;
}

const areaTimes = new Map<string, Map<string, number>>();

function selfTimes(server: string): Map<string, number> {
  const folder = join(dir, server);
  const file = readdirSync(folder).find((f) => f.includes(".0.001.")); // the main thread, not tsx's loader
  if (!file) throw new Error(`no main-thread profile in ${folder}`);
  const profile = JSON.parse(readFileSync(join(folder, file), "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const out = new Map<string, number>();
  const areas = new Map<string, number>();
  areaTimes.set(server, areas);
  const inWindow = windows.get(server) ?? [];
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (!inWindow.some(([from, to]) => at >= from && at <= to)) return;
    const frame = byId.get(id);
    if (!frame || frame.functionName === "(idle)") return;
    const a = area(frame.url, frame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + (profile.timeDeltas[i] ?? 0));
    const where = frame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(src|bench)\//, "$1/");
    const key = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return out;
}

let schema: BenchSchema | undefined;
try {
  const url = process.env.DATABASE_URL;
  if (url && values.pair !== "trpc") schema = await createBenchSchema(url);
  const env: Record<string, string> = schema
    ? { BENCH_KIND: "postgres", DATABASE_URL: schema.url, BENCH_SCHEMA: schema.schema }
    : { BENCH_KIND: "pglite", BENCH_REVOCATION: values.revocation as string };
  let baseSide: Side;
  let measuredSide: Side;
  if (values.pair === "trpc") {
    const publicServer = await startServer("public", "trpc.ts", env);
    const protectedServer = await startServer("protected", "trpc.ts", env);
    baseSide = (await trpcSides("public", publicServer, "diff-user")).public;
    measuredSide = (await trpcSides("protected", protectedServer, "diff-user")).protected;
  } else if (values.pair === "signin") {
    const publicServer = await startServer("public", "peers.ts", { ...env, BENCH_PEER: "jose-refresh" });
    const protectedServer = await startServer("protected", "trpc.ts", { ...env, BENCH_REVOCATION: "none", BENCH_REFRESH_GRACE: "300" });
    baseSide = signInSide("jose + refresh row", publicServer);
    measuredSide = signInSide("sessionkit none", protectedServer);
  } else {
    const [measuredName, baseName] =
      values.pair === "refresh" ? ["refresh", "bare UPDATE … RETURNING"] : ["updateJWTPayload", "bare UPDATE"];
    const publicServer = await startServer("public", "ops.ts", env);
    const protectedServer = await startServer("protected", "ops.ts", env);
    const find = (sides: Side[], name: string) => sides.find((s) => s.name === name) as Side;
    baseSide = find(await opsSides(publicServer, 10, false), baseName);
    measuredSide = find(await opsSides(protectedServer, 10, false), measuredName);
  }
  const count = { public: 0, protected: 0 };
  // Server CPU (all threads, process.cpuUsage) per request, next to the main thread's profile.
  const cpu = { public: 0, protected: 0 };
  const turnOf = async (who: "public" | "protected", side: Side) => {
    const r = await underLoad(who, () => runSide(side, { seconds: 2, connections: 10 }));
    count[who] += r.requests;
    cpu[who] += (r.cpuUs ?? 0) * r.requests;
  };
  for (let turn = 0; turn < Number(values.turns); turn++) {
    await turnOf("public", baseSide);
    await turnOf("protected", measuredSide);
  }
  await stopServers(); // the profiles are written as the servers exit
  const pub = selfTimes("public");
  const prot = selfTimes("protected");
  const total = (m: Map<string, number>, n: number) => [...m.values()].reduce((a, b) => a + b, 0) / n;
  console.log(
    `${values.pair}: requests: baseline ${count.public}, measured ${count.protected}; main-thread busy µs per request (samples under load only): ` +
      `baseline ${total(pub, count.public).toFixed(1)}, measured ${total(prot, count.protected).toFixed(1)}; ` +
      `server CPU µs per request (all threads): baseline ${(cpu.public / count.public).toFixed(0)}, measured ${(cpu.protected / count.protected).toFixed(0)}\n`,
  );
  const pubAreas = areaTimes.get("public") as Map<string, number>;
  const protAreas = areaTimes.get("protected") as Map<string, number>;
  console.log("per-request self time by area, measured / baseline / difference (µs):");
  for (const [a, t] of [...protAreas].sort((x, y) => y[1] - x[1])) {
    const m = t / count.protected;
    const b = (pubAreas.get(a) ?? 0) / count.public;
    if (Math.abs(m) < 0.5 && Math.abs(b) < 0.5) continue;
    console.log(`${m.toFixed(1).padStart(8)} ${b.toFixed(1).padStart(8)} ${(m - b).toFixed(1).padStart(8)}  ${a}`);
  }
  const rows = [...new Set([...pub.keys(), ...prot.keys()])]
    .map((key) => [key, (prot.get(key) ?? 0) / count.protected - (pub.get(key) ?? 0) / count.public] as const)
    .sort((a, b) => b[1] - a[1]);
  console.log("\nlargest per-request increases, measured minus baseline (µs of self time):");
  for (const [key, delta] of rows.slice(0, Number(values.top))) console.log(`${delta.toFixed(2).padStart(8)}  ${key}`);
} finally {
  await stopServers();
  await schema?.drop();
}
