// The ceiling of one primary: the Postgres CPU per sign-in and per refresh on the large database
// (from /proc of its backends), and the rotation statement spread over the whole table (HOT).

import os from "node:os";
import type { Child } from "./children.js";
import type { SuiteContext } from "./figures.js";
import { type Side, runSide } from "./load.js";
import type { ScaleDb } from "./scale-data.js";
import { label, sleep } from "./scale-sides.js";
import { backendCpuSeconds, hotRate, sizes, updateCounters } from "./scale-stats.js";

/** The rotation statement on random generated rows of the large database. */
export const rotationSide = (largeServer: Child): Side => ({
  name: "rotation statement, random generated rows",
  method: "POST",
  url: `${largeServer.url}/rotate`,
  server: largeServer,
});

/** Fills summary.ceiling, summary.hotRotation and summary.sizesAfter. */
export async function measureCeiling(
  ctx: SuiteContext,
  small: ScaleDb,
  large: ScaleDb,
  sides: Side[],
  rotate: Side,
  summary: Record<string, unknown>,
): Promise<void> {
  const ll = label(large.rows);
  const phaseSeconds = ctx.quick ? 3 : 10;
  const cpuPhase = async (side: Side) => {
    const before = await backendCpuSeconds(large.sql, large.name, "sessionkit-bench");
    const r = await runSide(side, { seconds: phaseSeconds, connections: ctx.settings.connections });
    const after = await backendCpuSeconds(large.sql, large.name, "sessionkit-bench");
    const pgUs = ((after - before) * 1e6) / r.requests;
    return {
      rps: Math.round(r.rps),
      p50: r.p50,
      p99: r.p99,
      appCpuUs: Math.round(r.cpuUs ?? 0),
      pgCpuUs: Math.round(pgUs),
      perPgCore: Math.round(1e6 / pgUs),
    };
  };
  const byName = (name: string) => sides.find((s) => s.name === name) as Side;
  const ceiling: Record<string, unknown> = { load1: os.loadavg()[0] };
  ceiling.signIn = await cpuPhase(byName(`sign-in @${ll}`));
  ceiling.refresh = await cpuPhase(byName(`refresh @${ll}`));
  const rotateBefore = await updateCounters(large.sql);
  ceiling.rotation = await cpuPhase(rotate);
  await sleep(1500);
  summary.hotRotation = hotRate(rotateBefore, await updateCounters(large.sql));
  summary.ceiling = ceiling;
  summary.sizesAfter = { small: await sizes(small.sql), large: await sizes(large.sql) };
}
