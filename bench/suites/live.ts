// Live connections: 10,000 WebSocket subscriptions on one server process (bench/live.ts drives
// them from a process of its own). Logged, not tabled: the figures go to bench/RESULTS.md by hand.

import { runToMessage } from "../lib/children.js";
import type { SuiteContext } from "../lib/figures.js";

export async function liveSuite(ctx: SuiteContext): Promise<void> {
  const result = await runToMessage<Record<string, unknown>>(`live-${ctx.kind}`, "live.ts", {
    ...ctx.childEnv,
    BENCH_LIVE_STREAMS: ctx.quick ? "2000" : "10000",
    BENCH_LIVE_BURST: ctx.quick ? "200" : "1000",
  });
  ctx.settings.log(`  live: ${JSON.stringify(result, null, 2)}`);
}
