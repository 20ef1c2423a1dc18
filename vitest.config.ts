import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Suites boot real apps on real PostgreSQL/NATS: give them room, and run files one at a time
    // per worker to keep the 2-core machine responsive.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
