import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/adapters/postgres/connection/database.js";
import { PostgresLeaderRelayStore } from "../../src/adapters/postgres/messaging/outbox-relay-store.js";
import { eventually } from "../support/eventually.js";
import { createTestDatabase, suitePool, type TestDatabase } from "../support/postgres.js";

/**
 * The relay's connection lives as long as the process. Its statements were once planned while the
 * outbox held a few rows, and PostgreSQL kept that plan (a generic plan is only replaced when the
 * table's statistics change, which never happens where autovacuum is off): after a burst the
 * relay read the whole table for every batch it marked, and drained about 1,000 rows a second
 * (BENCHMARKS.md, issue 23). Whatever the relay saw earlier, a batch must not scan the table.
 */
describe("the relay's statements on an outbox that grew after they were first planned (PostgreSQL)", () => {
  const db = relayOnFreshDatabase();
  const tableStats = async () =>
    (
      await db.owner.query<{ seq_scan: string; n_tup_upd: string }>(
        "select seq_scan, n_tup_upd from pg_stat_user_tables where relname = 'virtual_care_outbox'",
      )
    ).rows[0]!;

  it("when the relay marked small batches of a small outbox and the outbox then grew to 100,000 rows, then reading and marking the next batch of 200 goes through indexes, not the whole table", async () => {
    expect(await db.store.acquire()).toBe(true);
    // A quiet start: a few rows, relayed two at a time, more often than PostgreSQL's five custom
    // plans before it settles on a generic one.
    await db.insertRows(300);
    for (let pass = 0; pass < 10; pass++) {
      const batch = await db.store.pending(2);
      await db.store.markPublished(batch.map((m) => m.id), new Date());
    }
    // A backend reports its statistics when a statement ends at least a second after its last
    // report (else within 10 s): the relay's cheap pending read, repeated, brings the report on.
    const updatedRows = async (n: number) => {
      await eventually(`${n} updated rows in the statistics`, async () => (await db.store.pending(1)) && Number((await tableStats()).n_tup_upd) === n, 15_000, 250);
      return Number((await tableStats()).seq_scan);
    };
    const scansBefore = await updatedRows(20);
    // A burst (a NATS outage, a busy hour), then the next batch, read and marked.
    await db.insertRows(100_000);
    const batch = await db.store.pending(200);
    expect(batch).toHaveLength(200);
    await db.store.markPublished(batch.map((m) => m.id), new Date());
    expect(await updatedRows(220)).toBe(scansBefore);
    const pending = await db.owner.query<{ n: number }>("select count(*)::int as n from virtual_care_outbox where published_at is null");
    expect(pending.rows[0]!.n).toBe(300 - 20 + 100_000 - 200);
  }, 60_000);
});

/**
 * Marking a row published leaves its entry in the pending index until VACUUM. Under row-level
 * security the planner chose a bitmap scan for the pending read, which never marks those entries
 * dead: every batch read again every row published since the last VACUUM, and during a burst of
 * other writers the relay fell behind (BENCHMARKS.md, issue 23, fifth pass).
 */
describe("the relay's pending read after many rows were published (PostgreSQL)", () => {
  const db = relayOnFreshDatabase();
  const heapBlocks = async () =>
    Number((await db.owner.query<{ b: string }>("select heap_blks_hit + coalesce(heap_blks_read, 0) as b from pg_statio_user_tables where relname = 'virtual_care_outbox'")).rows[0]!.b);
  /**
   * The table blocks one relay read touches. A backend reports its statistics when a statement
   * ends at least a second after its last report (else within 10 s): wait a second, read, and
   * wait for the report.
   */
  const blocksOf = async (read: () => Promise<unknown>) => {
    await new Promise((r) => setTimeout(r, 1100));
    await db.store.pending(1);
    let before = await heapBlocks();
    await eventually("the statistics settle", async () => {
      const now = await heapBlocks();
      const settled = now === before;
      before = now;
      return settled;
    }, 15_000, 1100);
    await new Promise((r) => setTimeout(r, 1100));
    await read();
    await eventually("the read's statistics", async () => (await heapBlocks()) !== before, 15_000, 250);
    return (await heapBlocks()) - before;
  };

  it("when the relay published 40,000 rows and no VACUUM ran since, then reading the next batch of 200 does not read those rows again", async () => {
    expect(await db.store.acquire()).toBe(true);
    await db.insertRows(40_000);
    for (;;) {
      const batch = await db.store.pending(1000);
      if (batch.length === 0) break;
      await db.store.markPublished(batch.map((m) => m.id), new Date());
    }
    await db.insertRows(300);
    const blocks = await blocksOf(async () => expect(await db.store.pending(200)).toHaveLength(200));
    // 200 rows of about 300 bytes fill a handful of table blocks; the 40,000 published rows fill
    // about 1,500: a read that went through them again would touch those.
    expect(blocks).toBeLessThan(100);
  }, 120_000);
});

/**
 * A migrated database of the suite's own, the relay's store on it (as the service's role), and
 * the owner's pool to write and inspect the outbox; made before the suite's tests, dropped after.
 */
function relayOnFreshDatabase() {
  let tdb: TestDatabase | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-relay-plans-"));
  const db = {
    owner: undefined as unknown as pg.Pool,
    store: undefined as unknown as PostgresLeaderRelayStore,
    insertRows: (count: number) =>
      db.owner.query(
        `insert into virtual_care_outbox (id, tenant_id, aggregate_type, aggregate_id, type, data, occurred_at)
         select gen_random_uuid(), 't', 'session', 's' || g, 'virtualcare.session.created.v1', '{"n":1}', now() from generate_series(1, $1::int) g`,
        [count],
      ),
  };
  beforeAll(async () => {
    tdb = await createTestDatabase();
    await (await openDatabase({ databaseUrl: tdb.serviceUrl, migrationUrl: tdb.url, dataDir, migrate: true })).close();
    db.owner = suitePool(tdb.url, 2);
    // The suites count scans and blocks of this table: no autovacuum or autoanalyze may add its own
    // reads, or clean up the dead entries a suite is about, wherever the tests run.
    await db.owner.query("alter table virtual_care_outbox set (autovacuum_enabled = false)");
    db.store = new PostgresLeaderRelayStore(tdb.serviceUrl);
  }, 60_000);
  afterAll(async () => {
    await db.store?.release();
    await db.owner?.end();
    await tdb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return db;
}
