// `npm run fuzz`: the hostile-input properties of test/security with many cases each
// (default 10,000; `npm run fuzz -- 20000` or FUZZ_RUNS), through the fetch app, node:http,
// tRPC and Yoga, on Postgres when DATABASE_URL is set,
// else PGlite. Prints cases tried and failures per property; exits 1 on any failure.

import os from "node:os";
import fc from "fast-check";
import { createTestDb, mainKind } from "../test/helpers/db.js";
import { adapterProperties } from "../test/security/adapter-properties.js";
import { startNodeApp } from "../test/security/node-app.js";
import { type HostileProperty, hostileProperties, viaFetch, viaNode } from "../test/security/properties.js";
import { createTarget } from "../test/security/target.js";

const runs = Number(process.argv[2] ?? process.env.FUZZ_RUNS ?? 10_000);
const escaped: unknown[] = [];
process.on("unhandledRejection", (reason) => escaped.push(reason));
process.on("uncaughtException", (error) => escaped.push(error));

const db = await createTestDb(mainKind);
const plain = createTarget(db);
const viaToken = createTarget(db, { antiCsrf: "via-token", revocation: "check-database" });
const nodeTarget = createTarget(db, { revocation: "notify" });
const node = await startNodeApp(nodeTarget.sessions);

const properties: HostileProperty[] = [
  ...hostileProperties(plain, viaFetch(plain), "fetch"),
  ...hostileProperties(viaToken, viaFetch(viaToken), "fetch via-token"),
  ...hostileProperties(nodeTarget, viaNode(node.port), "node"),
  adapterProperties(plain, "trpc"),
  adapterProperties(viaToken, "graphql"),
];

console.log(`sessionkit fuzz: ${runs} cases per property, ${properties.length} properties, ${mainKind}`);
console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${new Date().toISOString()}`);
const rows: Array<{ property: string; cases: number; failures: number; seconds: number }> = [];
for (const { name, property } of properties) {
  const started = performance.now();
  const details = await fc.check(property, { numRuns: runs });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const failures = details.failed ? 1 : 0;
  rows.push({ property: name, cases: details.numRuns, failures, seconds });
  console.log(`${name.padEnd(48)} cases ${String(details.numRuns).padStart(6)}  failures ${failures}  ${seconds}s`);
  if (details.failed) {
    console.log(`  seed ${details.seed}, path ${details.counterexamplePath}`);
    console.log(`  counterexample ${JSON.stringify(details.counterexample).slice(0, 2000)}`);
    console.log(`  ${String(details.errorInstance).slice(0, 2000)}`);
  }
}
const total = rows.reduce((n, r) => n + r.cases, 0);
const failed = rows.reduce((n, r) => n + r.failures, 0);
console.log(`total: ${total} cases, ${failed} failures, ${escaped.length} unhandled rejections or uncaught exceptions`);
for (const e of escaped.slice(0, 5)) console.log(`  escaped: ${e instanceof Error ? e.stack : String(e)}`);

await node.close();
for (const t of [plain, viaToken, nodeTarget]) await t.close();
await db.close();
process.exit(failed > 0 || escaped.length > 0 ? 1 : 0);
