// Summarises V8 CPU profiles (`npm run bench -- --profile` writes one per server): self time by
// function and by where the code lives (sessionkit, drizzle, postgres.js, tRPC, node internals…).
// Usage: npx tsx bench/profile.ts bench/profiles/<run>/<server>.cpuprofile [--top=25]

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" }, focus: { type: "string", default: "/src/" } },
});

/** Where a frame's code lives, coarse enough to read at a glance. */
function area(url: string, name: string): string {
  if (!url) return name === "(garbage collector)" ? "GC" : name.startsWith("(") ? name : "native";
  if (url.includes("/src/core/")) return "sessionkit core";
  if (url.includes("/src/storage/")) return "sessionkit storage";
  if (url.includes("/src/adapters/")) return "sessionkit adapters";
  if (url.includes("/bench/")) return "bench server";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith("node:")) return "node internals";
  return url;
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === "(idle)").reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    if (functionName === "(idle)") continue;
    const key = `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/(src|bench)\//, "$1/")}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + t);
  }
  // Inclusive time of the functions whose URL contains --focus (default: sessionkit's src/),
  // counted once per call path even when they recurse.
  const inclusive = new Map<string, number>();
  const walk = (id: number, open: Set<string>): number => {
    const node = byId.get(id) as ProfileNode;
    let t = self.get(id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = url.includes(values.focus as string)
      ? `${functionName || "(anonymous)"} ${url.replace(/^.*\/(src|bench)\//, "$1/")}:${lineNumber + 1}`
      : undefined;
    const fresh = key !== undefined && !open.has(key);
    if (fresh) open.add(key);
    for (const child of node.children ?? []) t += walk(child, open);
    if (fresh) {
      open.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + t);
    }
    return t;
  };
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  for (const n of profile.nodes) if (!childIds.has(n.id)) walk(n.id, new Set());
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
  console.log(
    `\n${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)}%)`,
  );
  console.log("\nself time by area (of busy time):");
  for (const [a, t] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 15)) console.log(`  ${pct(t)}  ${a}`);
  console.log(`\ntop ${values.top} functions by self time:`);
  for (const [f, t] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) console.log(`  ${pct(t)}  ${f}`);
  console.log(`\ninclusive time of functions under ${values.focus}:`);
  for (const [f, t] of [...inclusive].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) console.log(`  ${pct(t)}  ${f}`);
}
