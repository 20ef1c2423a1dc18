import { defineConfig } from "vitest/config";

/**
 * Suites that need a process of their own: what they check is process-wide state a suite before
 * them in the same worker would have set (Medplum indexes FHIR definitions once per process).
 */
const OWN_PROCESS = ["test/fhir/embedded-fhir-server-types.test.ts"];

export default defineConfig({
  test: {
    // Suites boot real apps on real PostgreSQL/NATS: give them room, and run files one at a time
    // per worker to keep the 2-core machine responsive.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: OWN_PROCESS,
          // Files share their worker's modules instead of importing everything again: the
          // service's dependencies (Fastify, drizzle, Medplum's FHIR definitions, …) are loaded
          // once per worker, not once per file; isolated, imports were most of a file's time.
          // Each suite makes its own app, database, nats-server and browser and closes them in
          // afterAll; the service keeps no state in its modules that a test depends on
          // (docs/decisions.md, "Test suite layout and wall time").
          isolate: false,
        },
      },
      { extends: true, test: { name: "own-process", include: OWN_PROCESS, isolate: true } },
    ],
  },
});
