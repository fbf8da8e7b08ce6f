// One store statement of two checkouts (`--base`, e.g. a `git worktree` of main, and this one)
// on one postgres.js connection, in alternating blocks: CPU µs per call of this process and of
// its Postgres backend (/proc/<pid>/schedstat; Postgres on this machine). Isolates what a change
// to a statement costs on both sides, under the same noise. Not part of `npm run bench`.
// Usage: DATABASE_URL=… npx tsx bench/statement-ab.ts --base=/path/to/other/checkout [--n=500] [--blocks=10]
//   [--statement=rotate|payload] (rotateRefresh, default, or setJWTPayload)

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { SessionStore } from "../src/core/store.js";
import { drizzleStore } from "../src/storage/index.js";
import { createBenchSchema } from "./lib/database.js";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    n: { type: "string", default: "500" },
    blocks: { type: "string", default: "10" },
    statement: { type: "string", default: "rotate" },
  },
});
const url = process.env.DATABASE_URL;
if (!values.base || !url) throw new Error("--base=<checkout> and DATABASE_URL are required");
const schema = await createBenchSchema(url);
const client = postgres(schema.url, { max: 1, onnotice: () => {}, connection: { search_path: schema.schema } });
try {
  const db = drizzle(client);
  const baseModule = (await import(`${values.base}/src/storage/index.ts`)) as { drizzleStore: typeof drizzleStore };
  const stores: Record<"base" | "head", SessionStore> = { base: baseModule.drizzleStore(db as never), head: drizzleStore(db as never) };
  const [backend] = await client<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
  const pid = backend?.pid;
  const backendNs = () => Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]);
  const now = Date.now();
  const chains = { base: { handle: crypto.randomUUID(), hash: "h0", gen: 0 }, head: { handle: crypto.randomUUID(), hash: "h0", gen: 0 } };
  for (const which of ["base", "head"] as const) {
    await stores[which].createSession({
      handle: chains[which].handle,
      userId: "u",
      jwtPayload: { role: "user" },
      sessionData: {},
      refreshHash: "h0",
      createdAt: new Date(now),
      expiresAt: new Date(now + 86_400_000),
      ip: "10.0.0.1",
      userAgent: "bench",
    } as never);
  }
  const rotate = async (which: "base" | "head") => {
    const c = chains[which];
    const next = `h${c.gen + 1}-${"x".repeat(40)}`;
    const t = Date.now();
    const row = await stores[which].rotateRefresh({
      handle: c.handle,
      presentedHash: c.hash,
      nextHash: next,
      nextNonce: "n".repeat(43),
      nextGeneration: c.gen + 1,
      now: new Date(t),
      expiresAt: new Date(t + 86_400_000),
      ip: "10.0.0.2",
    });
    if (!row || row.refreshHash !== next) throw new Error(`${which}: did not rotate`);
    c.hash = next;
    c.gen += 1;
  };
  let payloads = 0;
  const setPayload = async (which: "base" | "head") => {
    const row = await stores[which].setJWTPayload(chains[which].handle, { role: "user", n: ++payloads }, new Date());
    if (!row) throw new Error(`${which}: no row`);
  };
  const call = values.statement === "payload" ? setPayload : rotate;
  const name = values.statement === "payload" ? "setJWTPayload" : "rotateRefresh";
  const n = Number(values.n);
  const out = { base: [] as { node: number; pg: number }[], head: [] as { node: number; pg: number }[] };
  for (const which of ["base", "head"] as const) for (let i = 0; i < 200; i++) await call(which); // warm-up, prepare
  for (let block = 0; block < Number(values.blocks); block++) {
    for (const which of block % 2 === 0 ? (["base", "head"] as const) : (["head", "base"] as const)) {
      const cpu = process.cpuUsage();
      const pg = backendNs();
      for (let i = 0; i < n; i++) await call(which);
      const used = process.cpuUsage(cpu);
      out[which].push({ node: (used.user + used.system) / n, pg: (backendNs() - pg) / 1000 / n });
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  for (const which of ["base", "head"] as const) {
    const node = med(out[which].map((r) => r.node));
    const pg = med(out[which].map((r) => r.pg));
    console.log(
      `${which}: ${name} CPU per call, node ${node.toFixed(1)} µs, postgres backend ${pg.toFixed(1)} µs, sum ${(node + pg).toFixed(1)} µs`,
    );
  }
} finally {
  await client.end();
  await schema.drop();
}
