// OpenTelemetry's cost on the protected tRPC call (revocation "none"): the same server without
// the `telemetry` option, with it but no SDK registered (the target: at least 0.99 of the plain
// one), and with an SDK (for information). A second plain server gives the noise of the ratio.

import type { Child } from "../lib/children.js";
import { type Figure, type SuiteContext, figure } from "../lib/figures.js";
import { type Side, runInterleaved } from "../lib/load.js";
import { trpcSides } from "./trpc.js";

const SERVERS = [
  { label: "plain", env: {} },
  { label: "plain again", env: {} },
  { label: "telemetry off", env: { BENCH_TELEMETRY: "off" } },
  { label: "telemetry on", env: { BENCH_TELEMETRY: "on" } },
] as const;

export async function telemetrySuite(ctx: SuiteContext): Promise<Figure[]> {
  // One after another: four servers compiling at once can miss the start timeout on a busy machine.
  const servers: Child[] = [];
  for (const [i, s] of SERVERS.entries())
    servers.push(await ctx.start(`trpc-otel-${i}-${ctx.kind}`, "trpc.ts", { BENCH_REVOCATION: "none", ...s.env }));
  const sides: Side[] = [];
  for (const [i, s] of SERVERS.entries()) {
    const { protected: side } = await trpcSides(`trpc ${s.label}`, servers[i] as Child, `otel-${i}-user`);
    sides.push(side);
  }
  const results = await runInterleaved(sides, ctx.settings);
  const ratio = (name: string, numerator: string, target?: { min: number }) =>
    figure("telemetry", ctx.kind, results, name, `trpc ${numerator} protected`, "trpc plain protected", target);
  return [
    ratio("tRPC protected, plain again / plain (the noise of this ratio)", "plain again"),
    ratio("tRPC protected, telemetry without an SDK / plain", "telemetry off", { min: 0.99 }),
    ratio("tRPC protected, telemetry with an SDK / plain (information)", "telemetry on"),
  ];
}
