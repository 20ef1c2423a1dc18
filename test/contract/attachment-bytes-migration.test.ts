import { randomBytes, randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";

const migrations = fileURLToPath(new URL("../../migrations", import.meta.url));

/** Migration 0008 moves the bytes of attachments stored before it; none may be lost on the way. */
describe("migration 0008_streamed_attachments on a database with attachments (PostgreSQL)", () => {
  let tdb: TestDatabase;
  let client: pg.Client;
  let before: string;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    client = new pg.Client({ connectionString: tdb.url });
    await client.connect();
    // The migrations as they were before 0008: the same files, the journal cut there.
    before = mkdtempSync(join(tmpdir(), "vcs-migrations-"));
    cpSync(migrations, before, { recursive: true });
    const journal = JSON.parse(readFileSync(join(before, "meta/_journal.json"), "utf8"));
    journal.entries = journal.entries.filter((e: { tag: string }) => e.tag < "0008");
    writeFileSync(join(before, "meta/_journal.json"), JSON.stringify(journal));
  });
  afterAll(async () => {
    await client.end();
    rmSync(before, { recursive: true, force: true });
    await tdb.drop();
  });

  it("when it runs, then every attachment's bytes become its chunk, byte for byte, and the old column is gone", async () => {
    await migrate(drizzle(client), { migrationsFolder: before });
    const stored: Array<{ id: string; tenant: string; data: Buffer }> = [];
    for (const tenant of ["clinic-a", "clinic-b"]) {
      const visit = randomUUID();
      await client.query(
        `insert into async_visits (id, tenant_id, patient_id, provider_id, submitted_by_kind, submitted_by_id, text, status, submitted_at, version)
         values ($1, $2, 'pat', 'dr', 'staff', 'u', 'x', 'submitted', now(), 1)`,
        [visit, tenant],
      );
      for (let position = 0; position < 2; position++) {
        const a = { id: randomUUID(), tenant, data: randomBytes(300_000 + position) };
        await client.query(
          `insert into async_visit_attachments (id, visit_id, tenant_id, position, content_type, filename, size_bytes, sha256, data)
           values ($1, $2, $3, $4, 'image/png', 'p.png', $5, 'x', $6)`,
          [a.id, visit, tenant, position, a.data.length, a.data],
        );
        stored.push(a);
      }
    }

    await migrate(drizzle(client), { migrationsFolder: migrations });

    for (const a of stored) {
      const chunks = await client.query("select seq, tenant_id, data from async_visit_attachment_chunks where attachment_id = $1", [a.id]);
      expect(chunks.rows).toEqual([{ seq: 0, tenant_id: a.tenant, data: a.data }]);
    }
    const column = await client.query("select count(*)::int as n from information_schema.columns where table_name = 'async_visit_attachments' and column_name = 'data'");
    expect(column.rows[0].n).toBe(0);
    const rls = await client.query("select relname, relrowsecurity, relforcerowsecurity from pg_class where relname in ('async_visit_attachment_chunks', 'async_visit_uploads') order by relname");
    expect(rls.rows).toEqual([
      { relname: "async_visit_attachment_chunks", relrowsecurity: true, relforcerowsecurity: true },
      { relname: "async_visit_uploads", relrowsecurity: true, relforcerowsecurity: true },
    ]);
  });
});
