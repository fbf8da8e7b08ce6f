// Output: the machine, the table for stdout, and the dated section of bench/RESULTS.md.

import { execSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import type { Figure, MemoryFigure, SizeFigure } from "./figures.js";

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  memoryGB: number;
  loadBefore: number[];
  loadAfter?: number[];
}

export function machine(): Machine {
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execSync("nproc", { encoding: "utf8" }).trim()) || nproc;
  } catch {
    // not on coreutils: keep Node's count
  }
  return {
    nproc,
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    node: process.version,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    loadBefore: os.loadavg(),
  };
}

export interface Report {
  date: string;
  machine: Machine;
  settings: {
    seconds: number;
    rounds: number;
    slices: number;
    warmupSeconds: number;
    connections: number;
    quick: boolean;
    kinds: string[];
  };
  /** 1-minute load average sampled before each group: how busy the machine was while measuring. */
  load: { group: string; load1: number }[];
  figures: Figure[];
  memory: MemoryFigure[];
  sizes: SizeFigure[];
  durationSeconds: number;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const verdict = (f: Figure) => (f.pass === undefined ? "" : f.pass ? "✓" : "✗");
const targetText = (f: Figure) => (f.target === undefined ? "" : `${f.strict ? ">" : "≥"} ${fmt(f.target)}`);

function rows(report: Report): string[][] {
  return report.figures.map((f) => [
    f.name,
    f.kind,
    fmt(f.ratio),
    `${fmt(f.min)}–${fmt(f.max)}`,
    `${f.numeratorRps.toFixed(0)} / ${f.denominatorRps.toFixed(0)}`,
    f.numeratorCpuUs === undefined || f.denominatorCpuUs === undefined
      ? ""
      : `${f.numeratorCpuUs.toFixed(0)} / ${f.denominatorCpuUs.toFixed(0)}`,
    targetText(f),
    verdict(f),
  ]);
}

const HEAD = ["figure", "db", "ratio", "rounds", "req/s (num / den)", "server CPU µs/req (num / den)", "target", ""];

/** The plain-text table for the terminal. */
export function table(report: Report): string {
  const all = [HEAD, ...rows(report)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const out = [line(HEAD), widths.map((w) => "-".repeat(w)).join("  "), ...rows(report).map(line)];
  for (const m of report.memory) out.push("", memoryLine(m));
  if (report.sizes.length > 0) out.push("", ...report.sizes.map(sizeLine));
  return out.join("\n");
}

function memoryLine(m: MemoryFigure): string {
  const last = m.samples.at(-1);
  return (
    `memory (${m.kind}): ${m.requests.toLocaleString("en")} getSession calls over ${m.distinctTokens.toLocaleString("en")} distinct tokens ` +
    `(cache ${m.tokenCacheSize.toLocaleString("en")}), ${m.callsPerSecond.toFixed(0)} calls/s; RSS ${fmt(m.before.rssMB, 0)} MB before, ` +
    `${fmt(last?.rssMB ?? 0, 0)} MB after; second half +${fmt(m.rssGrowthSecondHalfMB, 1)} MB RSS, +${fmt(m.heapGrowthSecondHalfMB, 1)} MB heap: ` +
    (m.bounded ? "bounded ✓" : "NOT bounded ✗")
  );
}

function sizeLine(s: SizeFigure): string {
  const limit = s.limit === undefined ? "" : ` (limit ${s.limit} B ${s.pass ? "✓" : "✗"})`;
  return `size: ${s.name}: ${s.bytes} B${limit}`;
}

/** The Markdown section written between the markers of bench/RESULTS.md. */
export function markdown(report: Report): string {
  const m = report.machine;
  const load = report.load.map((l) => `${l.group} ${fmt(l.load1)}`).join(", ");
  const lines = [
    `### Run of ${report.date}`,
    "",
    `Machine: ${m.nproc} cores (\`nproc\`), ${m.cpu}, ${m.memoryGB} GiB, Node ${m.node}. ` +
      `Load average (1 min) before the run ${fmt(m.loadBefore[0] ?? 0)}, after ${fmt(m.loadAfter?.[0] ?? 0)}; before each group: ${load}.`,
    `Settings: ${report.settings.connections} connections, ${report.settings.rounds} rounds of ${report.settings.seconds} s per side ` +
      `in ${report.settings.slices} interleaved slices ` +
      `after a ${report.settings.warmupSeconds} s warm-up${report.settings.quick ? " (quick mode)" : ""}; databases: ${report.settings.kinds.join(", ")}; ` +
      `whole run ${Math.round(report.durationSeconds)} s.`,
    "",
    `| ${HEAD.join(" | ")} |`,
    `| ${HEAD.map(() => "---").join(" | ")} |`,
    ...rows(report).map((r) => `| ${r.join(" | ")} |`),
  ];
  if (report.memory.length > 0) lines.push("", ...report.memory.map((x) => `- ${memoryLine(x)}`));
  if (report.sizes.length > 0) lines.push("", ...report.sizes.map((x) => `- ${sizeLine(x)}`));
  return lines.join("\n");
}

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

/** Replaces the generated section of RESULTS.md, keeping everything written around it by hand. */
export function writeResults(path: string, report: Report): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    text = `# Benchmark results\n\n${START}\n${END}\n`;
  }
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const section = `${START}\n${markdown(report)}\n${END}`;
  text = start !== -1 && end > start ? text.slice(0, start) + section + text.slice(end + END.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, text);
}
