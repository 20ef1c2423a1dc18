import { defineConfig } from "vitest/config";

/**
 * The fast tier (`npm run test:fast`): the domain, pure units and use cases on the memory twin of
 * the database. No type check, no PostgreSQL, no NATS, no FHIR server, no process, no browser.
 * A feature's fast tests are in test/features/<feature>/fast/; the rest of that folder needs
 * PostgreSQL and runs in the full suite (vitest.config.ts) with everything else.
 */
export default defineConfig({
  test: {
    include: ["test/domain/**/*.test.ts", "test/unit/**/*.test.ts", "test/features/*/fast/**/*.test.ts"],
    pool: "threads",
  },
});
