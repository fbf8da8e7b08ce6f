import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The files that take longest (servers, child processes, npm installs, Chromium, clusters),
 * longest first. With several workers (VITEST_MAX_WORKERS) the run ends when its longest file
 * does, so these start first even on a fresh checkout (vitest's own order needs a previous run's
 * timings).
 */
const SLOW_FIRST = [
  "test/package/next.test.ts",
  "test/package/consumer.test.ts",
  "test/concurrency/processes.test.ts",
  "test/graphql/example.test.ts",
  "test/concurrency/revocation.test.ts",
  "test/devices/remember.test.ts",
  "test/events/telemetry-adapters.test.ts",
  "test/browser/example.test.ts",
  "test/trpc/flows.test.ts",
  "test/core/store-contract-sessions.test.ts",
  "test/devices/adapters.test.ts",
  "test/core/cleanup.test.ts",
];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((path) => spec.moduleId.endsWith(path));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    return sorted
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i)
      .map(({ spec }) => spec);
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Several test files share one Postgres; each works in its own schema. On 2 cores vitest runs
    // one file at a time. VITEST_MAX_WORKERS=2 (or more) overlaps the files' waiting, but on a
    // shared machine at load 20 the CPU-bound setups (next build, 10 tsx processes, PGlite starts,
    // npm start of an example) then ran past their timeouts, so one at a time stays the default.
    fileParallelism: true,
    sequence: { sequencer: SlowFirstSequencer },
    server: {
      deps: {
        // One copy of graphql for Yoga, graphql-tools and envelop (otherwise "another module or realm").
        inline: [/graphql-yoga/, /@graphql-tools/, /@envelop/, /@graphql-yoga/],
      },
    },
  },
});
