// Memory: RSS and heap over 1M verified requests with many distinct tokens, in a child process.

import { runToMessage } from "../lib/children.js";
import type { MemoryFigure, SuiteContext } from "../lib/figures.js";

/** Growth over the second half of the run that still counts as flat (allocator noise, JIT). */
const FLAT_RSS_MB = 24;
const FLAT_HEAP_MB = 8;

export async function memorySuite(ctx: SuiteContext): Promise<MemoryFigure> {
  const result = await runToMessage<Omit<MemoryFigure, "kind" | "bounded">>(
    `memory-${ctx.kind}`,
    "memory.ts",
    {
      ...ctx.childEnv,
      BENCH_MEMORY_REQUESTS: String(ctx.quick ? 200_000 : 1_000_000),
      BENCH_MEMORY_TOKENS: String(ctx.quick ? 12_000 : 30_000),
    },
    ["--expose-gc"],
  );
  const bounded = result.rssGrowthSecondHalfMB < FLAT_RSS_MB && result.heapGrowthSecondHalfMB < FLAT_HEAP_MB;
  ctx.settings.log(
    `  memory: ${result.requests} calls over ${result.distinctTokens} tokens, ${result.callsPerSecond.toFixed(0)}/s; ` +
      `RSS ${result.before.rssMB.toFixed(0)} → ${result.samples.at(-1)?.rssMB.toFixed(0)} MB, second half +${result.rssGrowthSecondHalfMB.toFixed(1)} MB RSS, +${result.heapGrowthSecondHalfMB.toFixed(1)} MB heap`,
  );
  return { kind: ctx.kind, ...result, bounded };
}
