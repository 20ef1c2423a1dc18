import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";

/** Runs `src/migrate.ts` as the migration Job runs `dist/migrate.js`; resolves with its exit code and stderr. */
function runMigrate(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", "src/migrate.ts"], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    p.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    p.on("exit", (code) => resolve({ code, stderr }));
  });
}

describe("the migration command of the Kubernetes Job (child process, PostgreSQL)", () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(() => tdb.drop());

  it("when run on an empty database, then it applies every migration and exits 0; run again, it finds nothing to do and exits 0", async () => {
    expect(await runMigrate({ DATABASE_URL: tdb.url })).toMatchObject({ code: 0 });
    expect(await runMigrate({ DATABASE_URL: tdb.url })).toMatchObject({ code: 0 });
    const client = new pg.Client({ connectionString: tdb.url });
    await client.connect();
    try {
      const applied = await client.query("select count(*) from drizzle.__drizzle_migrations");
      const files = readdirSync(new URL("../../migrations", import.meta.url)).filter((f) => f.endsWith(".sql"));
      expect(Number(applied.rows[0].count)).toBe(files.length);
    } finally {
      await client.end();
    }
  });

  it("when DATABASE_URL is missing, then it exits 2 with a configuration error", async () => {
    const { code, stderr } = await runMigrate({});
    expect(code).toBe(2);
    expect(stderr).toContain("configuration error: DATABASE_URL is required");
  });
});
