// `npm run bench:chart`: redraws bench/results.svg from the recorded run in bench/results.json.

import { readFileSync, writeFileSync } from "node:fs";
import { chartSvg } from "./lib/chart.js";
import { repoRoot } from "./lib/children.js";
import type { Report } from "./lib/report.js";

const report = JSON.parse(readFileSync(`${repoRoot}bench/results.json`, "utf8")) as Report;
writeFileSync(`${repoRoot}bench/results.svg`, chartSvg(report));
console.log(`bench/results.svg redrawn from the run of ${report.date}`);
