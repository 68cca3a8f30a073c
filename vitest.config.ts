import { defineConfig } from "vitest/config";

// Three projects: `unit` (mock engine, templates with real validators; fast, parallel),
// `ops` (real Docker engine, restic, images; sequential, long timeouts) and `engine`
// (the real Pulumi engine: pulumi up / preview / destroy).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts", "tests/templates/**/*.test.ts", "**/components/**/*.test.ts"],
          exclude: ["node_modules/**", "dist/**"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: "forks",
        },
      },
      {
        test: {
          name: "ops",
          include: ["tests/ops/**/*.test.ts"],
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
          pool: "forks",
        },
      },
      {
        // The real Pulumi engine (scripts/toolchain.sh) on the real Docker engine; run alone,
        // after the other projects (the test command does), as it deploys Socle's own names.
        test: {
          name: "engine",
          include: ["tests/engine/**/*.test.ts"],
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
          pool: "forks",
        },
      },
    ],
  },
});
