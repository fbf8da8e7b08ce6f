// Before/after on the same machine at the same moment: the ops (or tRPC) bench server of another
// checkout (`--base`, e.g. a `git worktree` of main) and of this one, loaded in alternating turns
// with the same side; server CPU µs per request and req/s of each, per turn and as medians.
// Server CPU is what other load on the machine disturbs least. Not part of `npm run bench`.
// Usage: [DATABASE_URL=…] npx tsx bench/ab.ts --base=/path/to/other/checkout [--side=refresh] [--turns=6]
//   sides: refresh, updateJWTPayload, createNewSession, getSessionData, bare UPDATE … RETURNING, …
//   (ops.ts), "trpc none protected" / "trpc none public" (trpc.ts, revocation none), or
//   "trpc signin" (sign-in over tRPC on trpc.ts, the peers suite's sign-in side)
// --base-env / --head-env: extra environment of one server (K=V,K=V), e.g. the same checkout twice with
// --base=. --head-env=BENCH_TOKEN_CACHE_SIZE=0

import { parseArgs } from "node:util";
import { startServer, stopServers } from "./lib/children.js";
import { type BenchSchema, createBenchSchema } from "./lib/database.js";
import { type Side, median, runSide } from "./lib/load.js";
import { opsSides } from "./suites/ops.js";
import { signInSide } from "./suites/peers.js";
import { trpcSides } from "./suites/trpc.js";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    side: { type: "string", default: "refresh" },
    turns: { type: "string", default: "6" },
    seconds: { type: "string", default: "2" },
    "base-env": { type: "string", default: "" },
    "head-env": { type: "string", default: "" },
  },
});
if (!values.base) throw new Error("--base=<checkout> is required");
const sideName = values.side as string;
const trpc = sideName.startsWith("trpc ");
let schema: BenchSchema | undefined;
try {
  if (process.env.DATABASE_URL) schema = await createBenchSchema(process.env.DATABASE_URL);
  const env: Record<string, string> = schema
    ? { BENCH_KIND: "postgres", DATABASE_URL: schema.url, BENCH_SCHEMA: schema.schema, BENCH_REVOCATION: "none" }
    : { BENCH_KIND: "pglite", BENCH_REVOCATION: "none" };
  const envOf = (list: string) =>
    Object.fromEntries(
      list
        .split(",")
        .filter(Boolean)
        .map((kv) => kv.split("=", 2) as [string, string]),
    );
  const pick = async (label: "base" | "head", root?: string): Promise<Side> => {
    const server = await startServer(label, trpc ? "trpc.ts" : "ops.ts", { ...env, ...envOf(values[`${label}-env`] as string) }, root);
    if (sideName === "trpc signin") return signInSide(`ab ${label}`, server);
    if (trpc) {
      const s = await trpcSides(`trpc none`, server, `ab-${label}`);
      return sideName.endsWith("public") ? s.public : s.protected;
    }
    const side = (await opsSides(server, 10, false)).find((s) => s.name === sideName);
    if (!side) throw new Error(`no side ${sideName}`);
    return side;
  };
  // Both servers on the same schema: sessions of each are their own rows.
  const base = await pick("base", values.base);
  const head = await pick("head");
  const results = { base: [] as { rps: number; cpu: number }[], head: [] as { rps: number; cpu: number }[] };
  const seconds = Number(values.seconds);
  for (let turn = 0; turn < Number(values.turns); turn++) {
    const order = turn % 2 === 0 ? (["base", "head"] as const) : (["head", "base"] as const);
    for (const which of order) {
      const r = await runSide(which === "base" ? base : head, { seconds, connections: 10 });
      results[which].push({ rps: r.rps, cpu: r.cpuUs ?? Number.NaN });
      process.stderr.write(`turn ${turn + 1} ${which}: ${r.rps.toFixed(0)} req/s, server CPU ${(r.cpuUs ?? 0).toFixed(0)} µs/req\n`);
    }
  }
  const summary = (list: { rps: number; cpu: number }[]) =>
    `${median(list.map((r) => r.rps)).toFixed(0)} req/s, ${median(list.map((r) => r.cpu)).toFixed(0)} µs/req server CPU`;
  console.log(`${sideName}: base ${summary(results.base)}; head ${summary(results.head)}`);
} finally {
  await stopServers();
  await schema?.drop();
}
