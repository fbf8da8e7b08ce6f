// Measures designs of modifySessionData on real Postgres: optimistic (version column, retry
// with backoff), row lock (SELECT … FOR UPDATE in one transaction), hybrids (optimistic first,
// the lock after a conflict), each also behind a per-process queue per session, and what the
// library ships. Uncontended latency, and N concurrent increments on one session from several
// instances, each with its own pool. Designs take turns in every round, so a machine that gets
// busier or quieter during the run affects all alike.
// Run: DATABASE_URL=postgres://… npx tsx bench/modify-session-data.ts
// Env: CONCURRENT (200), INSTANCES (2), POOL (10 per instance), ROUNDS (5), SEQUENTIAL (100 per round), DESIGNS (comma list).

import postgres from "postgres";
import { engineOf } from "../src/core/internal.js";
import { createSessions } from "../src/index.js";
import { drizzleStore, migrate } from "../src/storage/index.js";
import { postgresClient } from "../test/helpers/db.js";
import { BENCH_SECRET } from "./servers/common.js";

const url = process.env.DATABASE_URL;
if (!url) throw new Error("set DATABASE_URL");
const SEQUENTIAL = Number(process.env.SEQUENTIAL ?? 100);
const CONCURRENT = Number(process.env.CONCURRENT ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const POOL = Number(process.env.POOL ?? 10);
const INSTANCES = Number(process.env.INSTANCES ?? 2);

type Counter = { n: number };
type Modify = (handle: string, fn: (d: Counter) => Counter) => Promise<Counter>;

function designs(sessions: ReturnType<typeof createSessions>): Record<string, Modify> {
  const engine = engineOf(sessions);
  const store = engine.options.store;
  const read = async (handle: string) => {
    const row = await engine.run(() => store.getSessionData(handle, engine.now()));
    if (!row) throw new Error("gone");
    return row;
  };
  const write = (handle: string, data: Counter, version: number) =>
    engine.run(() => store.setSessionData(handle, data, engine.now(), version));
  const locked: Modify = async (handle, fn) => {
    const lockedModify = store.modifySessionDataLocked;
    if (!lockedModify) throw new Error("the store has no modifySessionDataLocked");
    const r = await engine.run(() => lockedModify(handle, engine.now(), async (d) => fn(d as Counter)));
    if (!r) throw new Error("gone");
    return r.data as Counter;
  };
  // The first version: retry on conflict with random growing backoff, give up after 50 tries.
  const optimistic: Modify = async (handle, fn) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const row = await read(handle);
      const next = fn(structuredClone(row.data) as Counter);
      if (await write(handle, next, row.version)) return next;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
    }
    throw new Error("gave up");
  };
  const hybrid: Modify = async (handle, fn) => {
    const row = await read(handle);
    const next = fn(structuredClone(row.data) as Counter);
    if (await write(handle, next, row.version)) return next;
    return locked(handle, fn);
  };
  // A hybrid that remembers contention: after a conflict, straight to the lock for a second.
  const contended = new Map<string, number>();
  const adaptive: Modify = async (handle, fn) => {
    const last = contended.get(handle);
    if (last !== undefined && performance.now() - last < 1000) return locked(handle, fn);
    const row = await read(handle);
    const next = fn(structuredClone(row.data) as Counter);
    if (await write(handle, next, row.version)) return next;
    contended.set(handle, performance.now());
    return locked(handle, fn);
  };
  // One call per session at a time in this process: only other processes contend in the database.
  const tails = new Map<string, Promise<unknown>>();
  const queued =
    (inner: Modify): Modify =>
    (handle, fn) => {
      const run = (tails.get(handle) ?? Promise.resolve()).catch(() => {}).then(() => inner(handle, fn));
      tails.set(handle, run);
      void run.finally(() => tails.get(handle) === run && tails.delete(handle)).catch(() => {});
      return run;
    };
  const all: Record<string, Modify> = {
    library: (handle, fn) => sessions.modifySessionData<Counter>(handle, fn),
    optimistic,
    lock: locked,
    hybrid,
    "queued+optimistic": queued(optimistic),
    "queued+lock": queued(locked),
    "queued+hybrid": queued(hybrid),
    "queued+adaptive": queued(adaptive),
  };
  const only = process.env.DESIGNS?.split(",");
  return only ? Object.fromEntries(Object.entries(all).filter(([name]) => only.includes(name))) : all;
}

const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};
const r2 = (x: number) => Math.round(x * 100) / 100;

interface Tally {
  lat: number[];
  seqQueries: number;
  walls: number[];
  callLat: number[];
  conQueries: number[];
  failures: number;
  bystander: number[];
}

async function main() {
  const admin = postgres(url as string, { max: 1, onnotice: () => {} });
  const schema = `sk_bench_${Math.random().toString(36).slice(2, 8)}`;
  await admin.unsafe(`CREATE SCHEMA ${schema}`);
  const pools = Array.from({ length: INSTANCES }, () => postgresClient(url as string, schema, undefined, { max: POOL }));
  try {
    await migrate(pools[0]!.db);
    const instances = pools.map((p) => createSessions({ store: drizzleStore(p.db), secret: BENCH_SECRET }));
    const perInstance = instances.map(designs);
    const names = Object.keys(perInstance[0]!);
    const handles = new Map<string, string>();
    const tallies = new Map<string, Tally>();
    for (const name of names) {
      const s = await instances[0]!.createNewSession({ userId: `bench-${name}`, sessionData: { n: 0 } }, new Headers());
      handles.set(name, s.getHandle());
      tallies.set(name, { lat: [], seqQueries: 0, walls: [], callLat: [], conQueries: [], failures: 0, bystander: [] });
      for (const modify of perInstance.map((d) => d[name]!))
        for (let i = 0; i < 5; i++) await modify(s.getHandle(), (d) => ({ n: d.n + 1 }));
    }
    const reset = (handle: string) => instances[0]!.updateSessionData(handle, { n: 0 });
    // Another user's request on instance 0 during the burst: does the burst starve the pool?
    const other = (await instances[0]!.createNewSession({ userId: "bystander" }, new Headers())).getHandle();

    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        const handle = handles.get(name)!;
        const tally = tallies.get(name)!;
        // Uncontended: one caller, calls one after another.
        const modify = perInstance[0]![name]!;
        pools[0]!.queries.reset();
        for (let i = 0; i < SEQUENTIAL; i++) {
          const t = performance.now();
          await modify(handle, (d) => ({ n: d.n + 1 }));
          tally.lat.push(performance.now() - t);
        }
        tally.seqQueries += pools[0]!.queries.count;

        // Contended: CONCURRENT increments at once, spread over the instances.
        await reset(handle);
        let failed = 0;
        let bursting = true;
        const bystander = (async () => {
          while (bursting) {
            const t = performance.now();
            await instances[0]!.getSessionInformation(other);
            tally.bystander.push(performance.now() - t);
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
        })();
        for (const p of pools) p.queries.reset();
        const bystanderBefore = tally.bystander.length;
        const bystanderCalls = (t: Tally) => t.bystander.length - bystanderBefore;
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: CONCURRENT }, async (_, i) => {
            const t = performance.now();
            try {
              await perInstance[i % INSTANCES]![name]!(handle, (d) => ({ n: d.n + 1 }));
              tally.callLat.push(performance.now() - t);
            } catch {
              failed++; // gave up: a 500 for the user
            }
          }),
        );
        tally.walls.push(performance.now() - t0);
        bursting = false;
        await bystander;
        tally.failures += failed;
        tally.conQueries.push((pools.reduce((sum, p) => sum + p.queries.count, 0) - bystanderCalls(tally)) / CONCURRENT);
        const final = (await instances[1 % INSTANCES]!.getSessionInformation(handle))?.sessionData as Counter;
        if (final.n + failed !== CONCURRENT) throw new Error(`${name}: lost updates, counter ${final.n} of ${CONCURRENT}`);
      }
    }
    console.log(`${INSTANCES} instances, pool ${POOL} each, ${ROUNDS} rounds; ${CONCURRENT} concurrent increments per round`);
    console.table(
      names.map((name) => {
        const t = tallies.get(name)!;
        return {
          design: name,
          "seq p50 ms": r2(percentile(t.lat, 0.5)),
          "seq p99 ms": r2(percentile(t.lat, 0.99)),
          "seq queries/call": r2(t.seqQueries / (SEQUENTIAL * ROUNDS)),
          "burst wall ms (median)": r2(percentile(t.walls, 0.5)),
          "burst call p50 ms": r2(percentile(t.callLat, 0.5)),
          "burst call p99 ms": r2(percentile(t.callLat, 0.99)),
          "burst queries/call": r2(percentile(t.conQueries, 0.5)),
          "gave up": t.failures,
          "other user's call p99 ms": r2(percentile(t.bystander, 0.99)),
        };
      }),
    );
    await Promise.all(instances.map((i) => i.close()));
  } finally {
    for (const p of pools) await p.sql.end({ timeout: 1 });
    await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end({ timeout: 1 });
  }
}

await main();
