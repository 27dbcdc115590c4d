import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // 2-core machine: files run one or two at a time so timing-sensitive tests stay honest
    maxWorkers: 2,
    pool: "forks",
  },
});
