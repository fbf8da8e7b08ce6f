// `npx tsx scripts/capacity.ts`: what one Postgres sustains. Worker processes (one per core by
// default) each run their share of N concurrent clients against DATABASE_URL, through the public
// API: sign-ins (`createNewSession`), refreshes (`refreshSession`, one UPDATE … RETURNING each),
// verifications (`getSession`: no query; `verify-checked` with revocation "check-database": one), and the refresh statement alone (`refresh-sql`: the
// store's UPDATE … RETURNING without the tokens' crypto, the database side of a refresh). Prints operations per second, latency and, when the
// server is local, the Postgres CPU time per operation (read from /proc for the workers' backends).
// Options: --seconds 10 --clients 32 --workers <cores> --only sign-in,refresh,verify

import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type SigningAlgorithm, createSessions } from "../src/index.js";
import { drizzleStore, migrate } from "../src/storage/index.js";

const PHASES = ["sign-in", "refresh", "refresh-sql", "verify", "verify-checked"] as const;
type Phase = (typeof PHASES)[number];
interface WorkerResult {
  ops: number;
  errors: number;
  queries: number;
  /** CPU time of the worker process during the phase, ms. */
  cpuMs: number;
  latenciesMs: number[];
}

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "32" },
    workers: { type: "string", default: String(os.cpus().length) },
    only: { type: "string", default: PHASES.join(",") },
    algorithm: { type: "string", default: "RS256" },
    worker: { type: "string" }, // internal: the phase this child runs
    schema: { type: "string" }, // internal
  },
});
const url = process.env.DATABASE_URL;
const APP = "sessionkit-capacity";
const algorithm = args.algorithm as SigningAlgorithm;

function openDb(schema: string, max: number, name: string, counter?: { count: number }) {
  const sql = postgres(url ?? "", {
    max,
    onnotice: () => {},
    connection: { search_path: schema, application_name: name },
    debug: counter ? () => void counter.count++ : undefined,
  });
  return { sql, db: drizzle(sql) };
}

const randomHash = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

/** A worker: `clients` concurrent loops of one phase until told to stop. */
async function runWorker(phase: Phase, schema: string, clients: number): Promise<void> {
  const counter = { count: 0 };
  const { sql, db } = openDb(schema, clients, `${APP}-${phase}`, counter);
  const store = drizzleStore(db);
  const revocation = phase === "verify-checked" ? "check-database" : "none";
  const sessions = createSessions({ store, cookies: { secure: false }, tokenCacheSize: 0, algorithm, revocation });
  const cookieOf = (headers: Headers, name: string) =>
    headers
      .getSetCookie()
      .map((line) => line.split(";")[0] ?? "")
      .find((pair) => pair.startsWith(`${name}=`)) ?? "";

  // Each client starts with a session of its own (not measured).
  const starts = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const headers = new Headers();
      await sessions.createNewSession({ userId: `capacity-${process.pid}-${i}`, jwtPayload: { role: "member" } }, headers);
      const handle = `capacity-sql-${process.pid}-${i}`;
      const created = new Date();
      const hash = randomHash();
      await store.createSession({
        handle,
        userId: handle,
        jwtPayload: {},
        sessionData: {},
        refreshHash: hash,
        createdAt: created,
        expiresAt: new Date(Date.now() + 86_400_000),
      });
      return {
        refresh: cookieOf(headers, "sRefreshToken"),
        access: cookieOf(headers, "sAccessToken"),
        sql: { handle, hash, generation: 0 },
      };
    }),
  );
  const operations: Record<Phase, (client: (typeof starts)[number], i: number) => Promise<unknown>> = {
    "sign-in": (_, i) =>
      sessions.createNewSession({ userId: `capacity-${process.pid}-${i}`, jwtPayload: { role: "member" } }, new Headers()),
    async refresh(client) {
      const headers = new Headers();
      const request = new Request("http://localhost/auth/session/refresh", {
        method: "POST",
        headers: { cookie: client.refresh, rid: "session" },
      });
      await sessions.refreshSession(request, headers);
      client.refresh = cookieOf(headers, "sRefreshToken");
    },
    async "refresh-sql"(client) {
      const { handle, hash, generation } = client.sql;
      const nextHash = randomHash();
      const now = new Date();
      const row = await store.rotateRefresh({
        handle,
        presentedHash: hash,
        nextHash,
        nextNonce: randomHash(),
        nextGeneration: generation + 1,
        now,
        expiresAt: new Date(now.getTime() + 86_400_000),
      });
      if (row?.refreshHash !== nextHash) throw new Error("the rotation did not happen");
      client.sql = { handle, hash: nextHash, generation: generation + 1 };
    },
    verify: (client) => sessions.getSession(new Request("http://localhost/", { headers: { cookie: client.access } }), new Headers()),
    "verify-checked": (client) => operations.verify(client, 0),
  };

  await new Promise<void>((resolve) => {
    process.send?.({ ready: true });
    process.once("message", () => resolve());
  });
  counter.count = 0;
  const cpuAtStart = process.cpuUsage();
  const result: WorkerResult = { ops: 0, errors: 0, queries: 0, cpuMs: 0, latenciesMs: [] };
  const deadline = performance.now() + Number(args.seconds) * 1000;
  await Promise.all(
    starts.map(async (client, i) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        try {
          await operations[phase](client, i);
          result.ops++;
          result.latenciesMs.push(performance.now() - started);
        } catch {
          result.errors++;
        }
      }
    }),
  );
  result.queries = counter.count;
  const cpu = process.cpuUsage(cpuAtStart);
  result.cpuMs = (cpu.user + cpu.system) / 1000;
  // Stay connected until the parent has read the backends' CPU time.
  await new Promise<void>((resolve) => {
    process.once("message", () => resolve());
    process.send?.(result);
  });
  await sessions.close();
  await sql.end({ timeout: 1 });
}

/** The pids of the Postgres backends serving one phase's workers. */
async function backendPids(admin: postgres.Sql, phase: Phase): Promise<number[]> {
  const rows = await admin`SELECT pid FROM pg_stat_activity WHERE application_name = ${`${APP}-${phase}`}`;
  return rows.map((row) => Number(row.pid));
}

/** CPU seconds (user + system) of each backend, from /proc; empty when Postgres runs elsewhere. */
function cpuSeconds(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime, in USER_HZ
    } catch {
      // not on this machine, or already gone
    }
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

async function runPhase(phase: Phase, schema: string, admin: postgres.Sql) {
  const workers = Number(args.workers);
  const clients = Number(args.clients);
  const children = Array.from({ length: workers }, (_, i) => {
    const share = Math.floor(clients / workers) + (i < clients % workers ? 1 : 0);
    return fork(
      fileURLToPath(import.meta.url),
      ["--worker", phase, "--schema", schema, "--clients", String(share), "--seconds", String(args.seconds)],
      {
        execArgv: ["--import", "tsx"],
        env: process.env,
      },
    );
  });
  const next = (child: (typeof children)[number]) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      child.once("message", (message) => resolve(message as Record<string, unknown>));
      child.once("exit", (code) => reject(new Error(`a ${phase} worker exited with ${code}`)));
    });
  await Promise.all(children.map(next)); // every worker connected and has its sessions
  const pids = await backendPids(admin, phase);
  const cpuBefore = cpuSeconds(pids);
  const started = performance.now();
  const results = children.map(next) as Promise<unknown>[] as Promise<WorkerResult>[];
  for (const child of children) child.send("go");
  const done = await Promise.all(results);
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(pids);
  for (const child of children) child.send("bye");
  await Promise.all(
    children.map((child) => new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(null)))),
  );

  const ops = done.reduce((sum, r) => sum + r.ops, 0);
  const latencies = done.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  let pgCpu: number | undefined;
  for (const [pid, after] of cpuAfter) pgCpu = (pgCpu ?? 0) + after - (cpuBefore.get(pid) ?? after);
  return {
    phase,
    perSecond: ops / elapsed,
    errors: done.reduce((sum, r) => sum + r.errors, 0),
    queriesPerOp: done.reduce((sum, r) => sum + r.queries, 0) / Math.max(1, ops),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    appCpuMsPerOp: done.reduce((sum, r) => sum + r.cpuMs, 0) / Math.max(1, ops),
    pgCpuMsPerOp: pgCpu === undefined ? undefined : (pgCpu * 1000) / Math.max(1, ops),
  };
}

async function main(): Promise<void> {
  if (!url) {
    console.error("scripts/capacity.ts measures a Postgres server: set DATABASE_URL (PGlite is in-process, one connection).");
    process.exit(1);
  }
  const schema = `sk_capacity_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(url, { max: 2, onnotice: () => {} });
  await admin.unsafe(`CREATE SCHEMA ${schema}`);
  try {
    const { sql, db } = openDb(schema, 2, APP);
    await migrate(db);
    const sessions = createSessions({ store: drizzleStore(db), algorithm });
    await sessions.createNewSession({ userId: "capacity-setup" }, new Headers()); // creates the keys once
    await sessions.close();
    await sql.end({ timeout: 1 });

    const [version] = await admin`SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sync`;
    const cpu = os.cpus();
    console.log(
      `sessionkit capacity: node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? "cpu"}, Postgres ${version?.v} (synchronous_commit ${version?.sync}), ` +
        `${algorithm}, ${args.workers} worker processes, ${args.clients} clients, ${args.seconds} s per phase, load ${os
          .loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}`,
    );
    console.log("phase           ops/s   p50 ms  p99 ms  queries/op  app CPU ms/op  Postgres CPU ms/op  errors");
    for (const phase of String(args.only).split(",") as Phase[]) {
      if (!PHASES.includes(phase)) throw new Error(`unknown phase ${phase}`);
      const r = await runPhase(phase, schema, admin);
      console.log(
        `${r.phase.padEnd(14)} ${r.perSecond.toFixed(0).padStart(6)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p99.toFixed(1).padStart(6)}  ` +
          `${r.queriesPerOp.toFixed(2).padStart(10)}  ${r.appCpuMsPerOp.toFixed(3).padStart(13)}  ${(r.pgCpuMsPerOp === undefined ? "n/a" : r.pgCpuMsPerOp.toFixed(3)).padStart(18)}  ${r.errors}`,
      );
    }
    console.log(
      `load after: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    );
  } finally {
    await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end({ timeout: 1 });
  }
}

if (args.worker) await runWorker(args.worker as Phase, String(args.schema), Number(args.clients));
else await main();
