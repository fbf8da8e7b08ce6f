// `npm run bench`: sessionkit against a public baseline and against peers, as ratios measured in
// one run. Servers run as child processes, load comes from here (autocannon), every figure is
// the ratio of two sides measured in the same interleaved rounds. See bench/README.md.

import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { killServersNow, pinSides, profileChildrenInto, repoRoot, startServer, stopServers } from "./lib/children.js";
import { type BenchSchema, createBenchSchema } from "./lib/database.js";
import { chartSvg } from "./lib/chart.js";
import type { DbKind, Figure, MemoryFigure, SizeFigure, SuiteContext } from "./lib/figures.js";
import { Progress } from "./lib/progress.js";
import { type Report, machine, table, writeResults } from "./lib/report.js";
import { liveSuite } from "./suites/live.js";
import { memorySuite } from "./suites/memory.js";
import { opsSuite } from "./suites/ops.js";
import { peersSuite } from "./suites/peers.js";
import { scaleSuite } from "./suites/scale.js";
import { sizesSuite } from "./suites/sizes.js";
import { telemetrySuite } from "./suites/telemetry.js";
import { trpcSuite } from "./suites/trpc.js";
import { yogaSuite } from "./suites/yoga.js";

const SUITES = ["trpc", "yoga", "ops", "peers", "memory", "sizes", "live", "telemetry", "scale"] as const;
type SuiteName = (typeof SUITES)[number];
/** Run only when named in --only: the scale suite generates 10M rows (minutes, gigabytes). */
const OPT_IN: readonly SuiteName[] = ["scale"];

const { values: args } = parseArgs({
  // `--no-write` (documented in docs/benchmarks.md) needs negative flags: Node 20.16+ parses them.
  allowNegative: true,
  options: {
    quick: { type: "boolean", default: process.env.BENCH_QUICK === "1" },
    json: { type: "boolean", default: false },
    only: { type: "string" },
    kind: { type: "string" },
    seconds: { type: "string" },
    rounds: { type: "string" },
    warmup: { type: "string" },
    slices: { type: "string" },
    connections: { type: "string", default: "10" },
    profile: { type: "boolean", default: false },
    write: { type: "boolean" },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(`npm run bench -- [options]
  --quick               1 s rounds, 2 rounds, 200k memory calls (smoke run; also BENCH_QUICK=1)
  --only=a,b            suites: ${SUITES.join(", ")} (default: all but ${OPT_IN.join(", ")})
  --kind=postgres,pglite  databases (default: both when DATABASE_URL is set, else pglite)
  --seconds=N --rounds=N --warmup=N --slices=N --connections=N
                        load shape: each side gets N seconds per round in N slices, sides taking
                        turns; default 2 s, 5 rounds, 1 s warm-up, 2 slices, 10 connections
  --profile             CPU profiles of every server into bench/profiles/<date>/ (see bench/profile.ts)
  --json                the report as JSON on stdout (progress goes to stderr)
  --write / --no-write  update bench/RESULTS.md (default: on, off in quick mode or with --only)`);
  process.exit(0);
}

const quick = args.quick ?? false;
const log = (line: string) => process.stderr.write(`${line}\n`);
const only = (args.only?.split(",").map((s) => s.trim()) ?? SUITES.filter((s) => !OPT_IN.includes(s))) as SuiteName[];
for (const name of only) if (!SUITES.includes(name)) throw new Error(`unknown suite ${name}; one of ${SUITES.join(", ")}`);
const databaseUrl = process.env.DATABASE_URL;
const kinds = (args.kind?.split(",").map((s) => s.trim()) ?? (databaseUrl ? ["postgres", "pglite"] : ["pglite"])) as DbKind[];
// The scale suite alone brings a Postgres of its own (BENCH_SCALE_SERVER, default own).
const ownScaleServer = only.length === 1 && only[0] === "scale" && (process.env.BENCH_SCALE_SERVER ?? "own") === "own";
if (kinds.includes("postgres") && !databaseUrl && !ownScaleServer) throw new Error("--kind=postgres needs DATABASE_URL");
if (!databaseUrl && !ownScaleServer)
  log("DATABASE_URL is not set: every figure runs on PGlite, peers included (set it for the Postgres figures).");

const settings = {
  seconds: Number(args.seconds ?? (quick ? 1 : 2)),
  rounds: Number(args.rounds ?? (quick ? 2 : 5)),
  warmupSeconds: Number(args.warmup ?? 1),
  // autocannon runs at least about a second however short it is asked to run: keep slices >= 1 s.
  slices: Number(args.slices ?? (quick ? 1 : 2)),
  connections: Number(args.connections),
  log,
};
const write = args.write ?? (!quick && args.only === undefined && args.kind === undefined);

/** Which suites run on which database: PGlite repeats only what touches the database per request. */
function plan(kind: DbKind): SuiteName[] {
  const onlyKind = kinds.length === 1;
  // The scale suite measures Postgres itself (its own databases, /proc of the backends).
  if (kind === "postgres") return only;
  if (onlyKind) return only.filter((s) => s !== "scale");
  return only.filter((s) => s === "trpc" || s === "ops");
}

let schema: BenchSchema | undefined;
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopServers();
    await schema?.drop().catch((error) => log(`could not drop schema ${schema?.schema}: ${String(error)}`));
  })();
  return cleaning;
}
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping servers and dropping the bench schema`);
    void cleanup().finally(() => process.exit(code));
  });
}
process.once("exit", killServersNow);

async function main(): Promise<void> {
  const started = performance.now();
  const report: Report = {
    date: new Date().toISOString(),
    machine: machine(),
    settings: {
      seconds: settings.seconds,
      rounds: settings.rounds,
      slices: settings.slices,
      warmupSeconds: settings.warmupSeconds,
      connections: settings.connections,
      quick,
      kinds,
    },
    load: [],
    figures: [] as Figure[],
    memory: [] as MemoryFigure[],
    sizes: [] as SizeFigure[],
    durationSeconds: 0,
  };
  // After machine(): `nproc` counts only the cores this process may run on, one once pinned.
  const pinning = pinSides();
  log(pinning);
  if (args.profile) {
    const dir = `${repoRoot}bench/profiles/${report.date.replace(/[:.]/g, "-")}`;
    mkdirSync(dir, { recursive: true });
    profileChildrenInto(dir);
    log(`CPU profiles go to ${dir}`);
  }
  if (kinds.includes("postgres") && databaseUrl) {
    schema = await createBenchSchema(databaseUrl);
    log(`Postgres schema ${schema.schema}`);
  }
  const notifyChannel = `sk_bench_${process.pid}`;
  const groups = kinds.flatMap((kind) => plan(kind).map((suite) => ({ suite, kind })));
  const progress = new Progress(groups, settings);
  let groupIndex = 0;

  for (const kind of kinds) {
    const childEnv: Record<string, string> =
      kind === "postgres" && schema
        ? { BENCH_KIND: kind, DATABASE_URL: schema.url, BENCH_SCHEMA: schema.schema, BENCH_NOTIFY_CHANNEL: notifyChannel }
        : { BENCH_KIND: kind, BENCH_NOTIFY_CHANNEL: notifyChannel };
    const ctx: SuiteContext = {
      kind,
      only: kinds.length === 1,
      settings: { ...settings, onRound: (round, rounds, sides, seconds) => log(progress.round(round, rounds, sides, seconds)) },
      quick,
      childEnv,
      start: (name, file, env = {}) => startServer(name, file, { ...childEnv, ...env }),
    };
    for (const suite of plan(kind)) {
      const load1 = os.loadavg()[0] ?? 0;
      report.load.push({ group: `${suite}/${kind}`, load1 });
      log(`\n== ${progress.startGroup(groupIndex++)} (load average ${load1.toFixed(2)} on ${report.machine.nproc} cores)`);
      try {
        if (suite === "memory") report.memory.push(await memorySuite(ctx));
        else if (suite === "live") await liveSuite(ctx);
        else if (suite === "scale") report.figures.push(...(await scaleSuite(ctx)));
        else if (suite === "sizes") report.sizes.push(...(await sizesSuite(ctx)));
        else {
          const run = { trpc: trpcSuite, yoga: yogaSuite, ops: opsSuite, peers: peersSuite, telemetry: telemetrySuite }[suite];
          report.figures.push(...(await run(ctx)));
        }
      } finally {
        await stopServers();
      }
    }
  }

  report.machine.loadAfter = os.loadavg();
  report.durationSeconds = (performance.now() - started) / 1000;
  if (args.json) {
    log(`\n${table(report)}`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else console.log(`\n${table(report)}\n${pinning}`);
  if (write) {
    writeResults(`${repoRoot}bench/RESULTS.md`, report);
    // The recorded run as data, and its chart drawn from that data (`npm run bench:chart` redraws it).
    writeFileSync(`${repoRoot}bench/results.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${repoRoot}bench/results.svg`, chartSvg(report));
    log("bench/RESULTS.md, bench/results.json and bench/results.svg updated");
  }
  const failed =
    report.figures.filter((f) => f.pass === false).length +
    report.memory.filter((m) => !m.bounded).length +
    report.sizes.filter((x) => x.pass === false).length;
  if (failed > 0) log(`${failed} figure(s) below target`);
}

main()
  .then(() => cleanup())
  .then(() => process.exit(0))
  .catch(async (error) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    process.exit(1);
  });
