import { defineConfig } from "vitest/config";

// Two projects: `unit` (mock engine, templates with real validators; fast, parallel)
// and `ops` (real Docker engine, restic, images; sequential, long timeouts).
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
    ],
  },
});
