// Where a protected call's extra time goes: two identical tRPC bench servers, one loaded only
// with public calls and one only with protected calls, in alternating turns, each CPU-profiled;
// then the per-request self time of every function, protected minus public. Steadier than
// throughput on a busy machine because both servers see the same noise. Not part of `npm run bench`.
// Usage: npx tsx bench/diff-profile.ts [--revocation=none] [--turns=8] [--top=25]  (PGlite)

import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { profileChildrenInto, startServer, stopServers } from "./lib/children.js";
import { runSide } from "./lib/load.js";
import { trpcSides } from "./suites/trpc.js";

const { values } = parseArgs({
  options: {
    revocation: { type: "string", default: "none" },
    turns: { type: "string", default: "8" },
    top: { type: "string", default: "25" },
  },
});
const dir = mkdtempSync(join(tmpdir(), "sk-diff-profile-"));
profileChildrenInto(dir);

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function selfTimes(server: string): Map<string, number> {
  const folder = join(dir, server);
  const file = readdirSync(folder).find((f) => f.includes(".0.001.")); // the main thread, not tsx's loader
  if (!file) throw new Error(`no main-thread profile in ${folder}`);
  const profile = JSON.parse(readFileSync(join(folder, file), "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    if (!frame || frame.functionName === "(idle)") return;
    const where = frame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(src|bench)\//, "$1/");
    const key = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return out;
}

try {
  const env = { BENCH_KIND: "pglite", BENCH_REVOCATION: values.revocation as string };
  const publicServer = await startServer("public", "trpc.ts", env);
  const protectedServer = await startServer("protected", "trpc.ts", env);
  const publicSide = (await trpcSides("public", publicServer, "diff-user")).public;
  const protectedSide = (await trpcSides("protected", protectedServer, "diff-user")).protected;
  const count = { public: 0, protected: 0 };
  for (let turn = 0; turn < Number(values.turns); turn++) {
    count.public += (await runSide(publicSide, { seconds: 2, connections: 10 })).requests;
    count.protected += (await runSide(protectedSide, { seconds: 2, connections: 10 })).requests;
  }
  await stopServers(); // the profiles are written as the servers exit
  const pub = selfTimes("public");
  const prot = selfTimes("protected");
  const total = (m: Map<string, number>, n: number) => [...m.values()].reduce((a, b) => a + b, 0) / n;
  console.log(
    `requests: public ${count.public}, protected ${count.protected}; main-thread busy µs per request (startup included): ` +
      `public ${total(pub, count.public).toFixed(1)}, protected ${total(prot, count.protected).toFixed(1)}\n`,
  );
  const rows = [...new Set([...pub.keys(), ...prot.keys()])]
    .map((key) => [key, (prot.get(key) ?? 0) / count.protected - (pub.get(key) ?? 0) / count.public] as const)
    .sort((a, b) => b[1] - a[1]);
  console.log("largest per-request increases, protected minus public (µs of self time):");
  for (const [key, delta] of rows.slice(0, Number(values.top))) console.log(`${delta.toFixed(2).padStart(8)}  ${key}`);
} finally {
  await stopServers();
}
