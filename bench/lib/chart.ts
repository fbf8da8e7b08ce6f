// The chart of a recorded run (bench/results.svg), drawn from its figures only: every bar is a
// ratio measured in that run, every tick a target; nothing here is typed in by hand.

import type { Figure } from "./figures.js";
import type { Report } from "./report.js";

const WIDTH = 960;
const LABEL = 430;
const BAR = 18;
const GAP = 6;
const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\"";

const xml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

interface Panel {
  title: string;
  note: string;
  figures: Figure[];
}

/** Which figures each panel shows: the ratios against a baseline on the main database, and sessionkit against each peer. */
export function panels(report: Report): Panel[] {
  const main = report.settings.kinds.includes("postgres") ? "postgres" : "pglite";
  const own = report.figures.filter((f) => f.kind === main && f.suite !== "peers" && f.suite !== "tokens");
  const peers = report.figures.filter((f) => f.kind === main && f.suite === "peers" && f.name.startsWith("sessionkit "));
  return [
    {
      title: "sessionkit against the bare baseline on the same server (1.00 = no cost)",
      note: "bar: median ratio over the rounds · whisker: lowest–highest round · tick: target",
      figures: own,
    },
    {
      title: "sessionkit against other libraries behind the same tRPC router (× their throughput)",
      note: "above 1.00: sessionkit is faster · verification (protected call), sign-in and refresh",
      figures: peers,
    },
  ];
}

function panelSvg(panel: Panel, top: number): { svg: string; height: number } {
  const max = Math.max(1.1, ...panel.figures.flatMap((f) => [f.max, f.target ?? 0])) * 1.05;
  const plot = WIDTH - LABEL - 70;
  const x = (v: number) => LABEL + (Math.min(v, max) / max) * plot;
  const out: string[] = [
    `<text x="12" y="${top + 16}" ${FONT} font-size="15" font-weight="600">${xml(panel.title)}</text>`,
    `<text x="12" y="${top + 34}" ${FONT} font-size="11" fill="#555">${xml(panel.note)}</text>`,
  ];
  const first = top + 46;
  const height = 46 + panel.figures.length * (BAR + GAP) + 24;
  // The 1.00 line: as fast as the baseline (or as the peer).
  out.push(
    `<line x1="${x(1)}" y1="${first - 4}" x2="${x(1)}" y2="${first + panel.figures.length * (BAR + GAP)}" stroke="#999" stroke-dasharray="3,3"/>`,
    `<text x="${x(1)}" y="${first + panel.figures.length * (BAR + GAP) + 14}" ${FONT} font-size="10" text-anchor="middle" fill="#555">1.00</text>`,
  );
  panel.figures.forEach((f, i) => {
    const y = first + i * (BAR + GAP);
    const colour = f.pass === false ? "#d97706" : f.pass === true ? "#15803d" : "#2563eb";
    out.push(
      `<text x="${LABEL - 8}" y="${y + BAR - 5}" ${FONT} font-size="12" text-anchor="end">${xml(f.name)}</text>`,
      `<rect x="${LABEL}" y="${y}" width="${(x(f.ratio) - LABEL).toFixed(1)}" height="${BAR}" fill="${colour}" opacity="0.85"/>`,
      `<line x1="${x(f.min).toFixed(1)}" y1="${y + BAR / 2}" x2="${x(f.max).toFixed(1)}" y2="${y + BAR / 2}" stroke="#111" stroke-width="1"/>`,
      `<text x="${(x(f.max) + 6).toFixed(1)}" y="${y + BAR - 5}" ${FONT} font-size="11">${f.ratio.toFixed(2)}${f.pass === false ? " ✗" : f.pass ? " ✓" : ""}</text>`,
    );
    if (f.target !== undefined) {
      out.push(
        `<line x1="${x(f.target).toFixed(1)}" y1="${y - 2}" x2="${x(f.target).toFixed(1)}" y2="${y + BAR + 2}" stroke="#b91c1c" stroke-width="2"/>`,
      );
    }
  });
  return { svg: out.join("\n"), height };
}

/** The whole chart as an SVG document. */
export function chartSvg(report: Report): string {
  const parts: string[] = [];
  let top = 40;
  for (const panel of panels(report)) {
    if (panel.figures.length === 0) continue;
    const { svg, height } = panelSvg(panel, top);
    parts.push(svg);
    top += height + 10;
  }
  const m = report.machine;
  const caption = `npm run bench, ${report.date.slice(0, 16).replace("T", " ")} UTC · ${m.nproc} cores, ${m.cpu}, Node ${m.node} · load ${(m.loadBefore[0] ?? 0).toFixed(1)} before`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top + 10}" viewBox="0 0 ${WIDTH} ${top + 10}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" ${FONT} font-size="12" fill="#333">${xml(caption)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
