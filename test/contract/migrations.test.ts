import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { openDatabase } from "../../src/adapters/postgres/connection/database.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";

describe("migrations at start (PostgreSQL)", () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(() => tdb.drop());

  it("when three replicas start at once on an empty database, then all start and the schema is applied once", async () => {
    const replicas = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: tdb.url, dataDir: "/nonexistent", migrate: true })));
    const client = new pg.Client({ connectionString: tdb.url });
    await client.connect();
    try {
      const applied = await client.query("select count(*) from drizzle.__drizzle_migrations");
      const files = (await import("node:fs")).readdirSync(new URL("../../migrations", import.meta.url)).filter((f) => f.endsWith(".sql"));
      expect(Number(applied.rows[0].count)).toBe(files.length);
      const tables = await client.query("select count(*) from information_schema.tables where table_name = 'virtual_sessions'");
      expect(Number(tables.rows[0].count)).toBe(1);
    } finally {
      await client.end();
      await Promise.all(replicas.map((r) => r.close()));
    }
  });
});
