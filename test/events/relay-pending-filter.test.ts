import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/adapters/postgres/connection/database.js";
import { EmbeddedRelayStore } from "../../src/adapters/postgres/messaging/outbox-relay-store.js";
import { outbox } from "../../src/adapters/postgres/schema.js";

/** What the relay leaves out while a destination or an aggregate is held, on embedded PGlite. */
describe("the relay's pending rows with holds (PGlite)", () => {
  let database: Database;
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-pending-filter-"));

  beforeAll(async () => {
    database = await openDatabase({ dataDir, migrate: true });
    const row = (aggregateType: string, aggregateId: string, type: string) => ({
      id: randomUUID(),
      tenantId: "t",
      aggregateType,
      aggregateId,
      type,
      data: {},
      occurredAt: new Date(),
    });
    await database.system.insert(outbox).values([
      row("audit", "s1", "audit.virtualcare.session.create"),
      row("session", "s1", "virtualcare.session.created.v1"),
      row("session", "s2", "virtualcare.session.created.v1"),
      row("audit", "s2", "audit.virtualcare.session.create"),
      row("session", "s1", "virtualcare.session.cancelled.v1"),
    ]);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("when a destination's types and an aggregate are held, then the batch leaves out exactly their rows, in seq order", async () => {
    const store = new EmbeddedRelayStore(database.system);
    const all = await store.pending(10);
    expect(all.map((m) => `${m.aggregateType}/${m.aggregateId} ${m.type}`)).toHaveLength(5);
    const held = await store.pending(10, { excludeTypes: ["audit.virtualcare.session.create"], excludeAggregates: ["session/s1"] });
    expect(held.map((m) => `${m.aggregateType}/${m.aggregateId} ${m.type}`)).toEqual(["session/s2 virtualcare.session.created.v1"]);
    const seqs = all.map((m) => m.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });
});
