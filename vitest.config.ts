import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Several test files share one Postgres; each works in its own schema.
    fileParallelism: true,
    server: {
      deps: {
        // One copy of graphql for Yoga, graphql-tools and envelop (otherwise "another module or realm").
        inline: [/graphql-yoga/, /@graphql-tools/, /@envelop/, /@graphql-yoga/],
      },
    },
  },
});
