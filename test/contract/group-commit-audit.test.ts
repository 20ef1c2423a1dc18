import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/adapters/postgres/connection/database.js";
import { GroupCommitAudit } from "../../src/adapters/postgres/repositories/group-commit-audit.js";
import type { AuditEntry } from "../../src/platform/ports.js";
import { engines } from "../support/engines.js";
import { ManualClock } from "../support/app.js";

const read = (tenantId: string, sessionId: string): AuditEntry => ({
  actor: { kind: "staff", tenantId, userId: "dr-1", roles: ["clinician"] },
  action: "session.read",
  outcome: "success",
  targets: { sessionId },
});

/** Rows of a query on either engine (their drizzle result types differ; both carry `rows`). */
const rowsOf = async <T,>(db: Database, query: ReturnType<typeof sql>) => ((await db.db.execute(query)) as unknown as { rows: T[] }).rows;

const auditRows = (db: Database) =>
  rowsOf<{ tenant_id: string; aggregate_id: string; type: string; data: { outcome: string } }>(
    db,
    sql`select tenant_id, aggregate_id, type, data from virtual_care_outbox where aggregate_type = 'audit' order by seq`,
  );
const rowsFor = (db: Database, id: string) => rowsOf(db, sql`select 1 from virtual_care_outbox where aggregate_id = ${id}`);

for (const engine of engines) {
  describe(`read audit with group commit on ${engine.name}`, () => {
    let db: Database;
    let cleanup: () => Promise<void>;
    beforeAll(async () => ({ db, cleanup } = await engine.open()));
    afterAll(async () => cleanup());

    it("answers each of 300 concurrent reads only after its own row committed, in far fewer INSERTs", async () => {
      let batches = 0;
      const audit = new GroupCommitAudit(db.db, new ManualClock(new Date("2026-12-01T10:00:00Z")), () => (batches += 1));
      const ids = Array.from({ length: 300 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
      const before = (await auditRows(db)).length;
      await Promise.all(
        ids.map(async (id, i) => {
          await audit.record(read(`tenant-${i % 3}`, id));
          // Once the promise settled, the row is there for any other connection to read.
          expect(await rowsFor(db, id)).toHaveLength(1);
        }),
      );
      const rows = (await auditRows(db)).slice(before);
      expect(rows.map((r) => r.aggregate_id).sort()).toEqual([...ids].sort());
      expect(rows.every((r) => r.type === "audit.virtualcare.session.read" && r.data.outcome === "success")).toBe(true);
      expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set(["tenant-0", "tenant-1", "tenant-2"]));
      expect(batches).toBeGreaterThan(0);
      expect(batches).toBeLessThan(ids.length / 2);
    });

    it("a lone read on an idle service is written at once, without waiting for company", async () => {
      const audit = new GroupCommitAudit(db.db, new ManualClock(new Date("2026-12-01T10:00:00Z")));
      const id = "30000000-0000-4000-8000-000000000001";
      await audit.record(read("tenant-0", id));
      expect(await rowsFor(db, id)).toHaveLength(1);
    });

    it("a row handed in while the last writer is finishing is still written (no row waits for a next request)", async () => {
      // One writer at most: the second row arrives in the first one's continuation, before the writer counts as done.
      const audit = new GroupCommitAudit(db.db, new ManualClock(new Date("2026-12-01T10:00:00Z")), undefined, 500, 1);
      const second = await Promise.race([
        audit.record(read("tenant-0", "50000000-0000-4000-8000-000000000001")).then(() => audit.record(read("tenant-0", "50000000-0000-4000-8000-000000000002"))).then(() => "written"),
        new Promise((r) => setTimeout(() => r("stuck"), 5_000)),
      ]);
      expect(second).toBe("written");
      expect(await rowsFor(db, "50000000-0000-4000-8000-000000000002")).toHaveLength(1);
    });

    it("a batch that cannot be written fails every request in it; the next batch is written", async () => {
      const audit = new GroupCommitAudit(db.db, new ManualClock(new Date("2026-12-01T10:00:00Z")));
      // The outbox refuses writes for a moment (as a database outage would), then accepts them again.
      await db.db.execute(sql`create or replace function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`);
      await db.db.execute(sql`create trigger refuse_audit before insert on virtual_care_outbox for each statement execute function refuse_audit()`);
      const refused = await Promise.allSettled([1, 2, 3].map((i) => audit.record(read("tenant-0", `40000000-0000-4000-8000-00000000000${i}`))));
      expect(refused.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
      await db.db.execute(sql`drop trigger refuse_audit on virtual_care_outbox`);
      await audit.record(read("tenant-0", "40000000-0000-4000-8000-000000000009"));
      const ids = (await auditRows(db)).map((r) => r.aggregate_id).filter((id) => id.startsWith("40000000"));
      expect(ids).toEqual(["40000000-0000-4000-8000-000000000009"]);
    });
  });
}
