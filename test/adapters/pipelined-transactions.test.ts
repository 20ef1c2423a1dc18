import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/adapters/postgres/connection/database.js";
import { runBuiltQuery } from "../../src/adapters/postgres/connection/drizzle-internals.js";
import { inTenant, readInTenant } from "../../src/adapters/postgres/connection/tenant-scope.js";
import { PostgresSessionQueries } from "../../src/adapters/postgres/queries/session-queries.js";
import { PostgresUnitOfWork } from "../../src/adapters/postgres/repositories/unit-of-work.js";
import { sessions } from "../../src/adapters/postgres/schema.js";
import { DomainError } from "../../src/domain/errors.js";
import { VirtualSession } from "../../src/domain/session.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";

/**
 * Issue 23: tenant transactions on pipeline-mode connections (src/adapters/postgres/connection/
 * pipelined-transaction.ts), as the service's role (row-level security holds), on one pooled
 * connection so every transaction reuses what the one before it left.
 *
 * A round trip is counted where the client waited: a statement sent while no earlier statement of
 * that connection was still unanswered. Statements written behind an unanswered one share its trip.
 */
function countRoundTrips(pool: pg.Pool): { trips: number; statements: number; reset(): void } {
  const counter = {
    trips: 0,
    statements: 0,
    reset() {
      counter.trips = 0;
      counter.statements = 0;
    },
  };
  const counted = new WeakSet<pg.PoolClient>();
  pool.on("acquire", (client) => {
    if (counted.has(client)) return;
    counted.add(client);
    let unanswered = 0;
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    client.query = ((...args: unknown[]) => {
      counter.statements += 1;
      if (unanswered === 0) counter.trips += 1;
      unanswered += 1;
      const settled = () => {
        unanswered -= 1;
      };
      const last = args[args.length - 1];
      if (typeof last === "function") {
        // pg-pool's own pool.query() passes a callback.
        args[args.length - 1] = (...result: unknown[]) => {
          settled();
          (last as (...r: unknown[]) => void)(...result);
        };
        return query(...args);
      }
      const answer = query(...args);
      answer.then(settled, settled);
      return answer;
    }) as typeof client.query;
  });
  return counter;
}

type Row = Record<string, unknown>;
const rowsOf = (result: unknown): Row[] => (result as { rows: Row[] }).rows;

const at = new Date("2026-12-01T09:00:00Z");
let serial = 0;
function newSession(tenantId: string, appointmentId: string | null = null): VirtualSession {
  serial += 1;
  const id = (n: number) => `40000000-0000-4000-8000-${String(serial * 10 + n).padStart(12, "0")}`;
  return VirtualSession.schedule({
    id: id(0),
    tenantId,
    patientId: "p-pipe",
    providerId: "dr-pipe",
    appointmentId,
    scheduledStart: new Date("2026-12-02T10:00:00Z"),
    scheduledEnd: new Date("2026-12-02T10:30:00Z"),
    video: { backend: "primary", provider: "jitsi", domain: "meet.example.org", roomName: `room-pipe-${serial}` },
    participants: [
      { id: id(1), role: "patient", displayName: "P", externalId: "p-pipe" },
      { id: id(2), role: "clinician", displayName: "C", externalId: "dr-pipe" },
    ],
    maxParticipants: 6,
    now: at,
  });
}

describe("pipelined tenant transactions (PostgreSQL, the service's role, one pooled connection)", () => {
  let tdb: TestDatabase;
  let database: Database;
  let trips: ReturnType<typeof countRoundTrips>;
  let uow: PostgresUnitOfWork;
  let queries: PostgresSessionQueries;
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-pipe-"));
  const actor = { kind: "staff" as const, tenantId: "pipe-a", userId: "u", roles: ["scheduler" as const] };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    database = await openDatabase({ databaseUrl: tdb.serviceUrl, migrationUrl: tdb.url, dataDir, migrate: true, poolSize: 1 });
    trips = countRoundTrips(database.pool!);
    uow = new PostgresUnitOfWork(database.db, { now: () => at });
    queries = new PostgresSessionQueries(database.db, { now: () => at });
  });
  afterAll(async () => {
    await database?.close();
    await tdb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const outboxTypes = async (aggregateId: string) =>
    rowsOf(await database.system.execute(sql`select type from virtual_care_outbox where aggregate_id = ${aggregateId} order by seq`)).map((r) => r.type);

  it("when a unit of work inserts a session and audits it, then BEGIN, the session, its outbox rows and COMMIT travel in one round trip, committed in order", async () => {
    const session = newSession("pipe-a");
    trips.reset();
    await uow.run("pipe-a", async (tx) => {
      await tx.sessions.insert(session);
      await tx.audit.record({ actor, action: "session.create", outcome: "success", targets: { sessionId: session.id } });
    });
    expect({ trips: trips.trips, statements: trips.statements }).toEqual({ trips: 1, statements: 4 });
    expect(await outboxTypes(session.id)).toEqual(["virtualcare.session.created.v1", "audit.virtualcare.session.create"]);
  });

  it("when a tenant's config has an endpoint subscribed to an event type, then its events of that type are written webhook-pending, and no other tenant's or type's", async () => {
    const owner = new pg.Client({ connectionString: tdb.url });
    await owner.connect();
    try {
      const hook = { name: "ehr", url: "https://ehr.example.org/hooks", eventTypes: ["virtualcare.session.created.v1"] };
      await owner.query("insert into tenant_configs (tenant_id, version, config, updated_at) values ('pipe-hooks', 1, $1, now())", [{ licensed: true, webhooks: [hook] }]);
      // What the dispatcher is told after each commit: woken only for rows an endpoint wants.
      const told: boolean[] = [];
      const noted = new PostgresUnitOfWork(database.db, { now: () => at }, { committed: (notes) => told.push(notes.webhookCandidates) });
      const subscribed = newSession("pipe-hooks");
      const other = newSession("pipe-a");
      await noted.run("pipe-hooks", (tx) => tx.sessions.insert(subscribed));
      await noted.run("pipe-a", (tx) => tx.sessions.insert(other));
      // Another event type of the subscribed tenant: not one its endpoint asked for.
      const loaded = (await noted.run("pipe-hooks", (tx) => tx.sessions.findById("pipe-hooks", subscribed.id)))!;
      loaded.cancel("changed plans", at);
      await noted.run("pipe-hooks", (tx) => tx.sessions.save(loaded, 1));
      const pending = async (id: string) => (await owner.query("select type, webhook_pending from virtual_care_outbox where aggregate_id = $1 and aggregate_type = 'session' order by seq", [id])).rows;
      expect(await pending(subscribed.id)).toEqual([
        { type: "virtualcare.session.created.v1", webhook_pending: true },
        { type: "virtualcare.session.cancelled.v1", webhook_pending: false },
      ]);
      expect(await pending(other.id)).toEqual([{ type: "virtualcare.session.created.v1", webhook_pending: false }]);
      // created (subscribed), created (other tenant), the read, cancelled (not subscribed).
      expect(told).toEqual([true, false, false, false]);
    } finally {
      await owner.end();
    }
  });

  it("when a tenant reads one session, then BEGIN with the tenant, the prepared read and COMMIT cost one round trip, and the read sees only that tenant", async () => {
    const mine = newSession("pipe-a");
    const theirs = newSession("pipe-b");
    await uow.run("pipe-a", (tx) => tx.sessions.insert(mine));
    await uow.run("pipe-b", (tx) => tx.sessions.insert(theirs));
    trips.reset();
    const read = await queries.get("pipe-a", mine.id);
    expect({ trips: trips.trips, statements: trips.statements }).toEqual({ trips: 1, statements: 3 });
    expect(read?.participants.map((p) => p.role)).toEqual(["patient", "clinician"]);
    // The read with its audit row: still one statement, one round trip, and the row committed.
    trips.reset();
    const audited = await queries.getAudited("pipe-a", mine.id, { actor, action: "session.read", outcome: "success", targets: { sessionId: mine.id } });
    expect({ trips: trips.trips, statements: trips.statements }).toEqual({ trips: 1, statements: 3 });
    expect(audited?.id).toBe(mine.id);
    expect(await outboxTypes(mine.id)).toEqual(["virtualcare.session.created.v1", "audit.virtualcare.session.read"]);
    // Row-level security holds inside the pipelined transaction: a read with no tenant filter of its own.
    const visible = await readInTenant(database.db, "pipe-a", (tx) => tx.select({ tenantId: sessions.tenantId }).from(sessions));
    expect(new Set(visible.map((r) => r.tenantId))).toEqual(new Set(["pipe-a"]));
    // …and the setting ended with it: the same connection, outside a transaction, has no tenant.
    const after = await database.db.execute(sql`select current_setting('app.tenant_id', true) as t`);
    expect([null, ""]).toContain(rowsOf(after)[0]?.t);
  });

  it("when a write sent without waiting fails, then the commit fails with that write's own error, nothing of the transaction stays, and the connection serves the next one", async () => {
    await uow.run("pipe-a", (tx) => tx.sessions.insert(newSession("pipe-a", "appt-1")));
    const twin = newSession("pipe-a", "appt-1");
    const attempt = uow.run("pipe-a", async (tx) => {
      await tx.sessions.insert(twin);
      await tx.audit.record({ actor, action: "session.create", outcome: "success", targets: { sessionId: twin.id } });
    });
    await expect(attempt).rejects.toSatisfy((err) => err instanceof DomainError && err.code === "APPOINTMENT_ALREADY_LINKED");
    expect(await outboxTypes(twin.id)).toEqual([]);
    expect(await queries.get("pipe-a", twin.id)).toBeNull();
    const next = newSession("pipe-a");
    await uow.run("pipe-a", (tx) => tx.sessions.insert(next));
    expect(await queries.get("pipe-a", next.id)).not.toBeNull();
  });

  it("when a statement failed and the work went on as if it had not, then the transaction is reported failed, not committed", async () => {
    const kept = newSession("pipe-a");
    const attempt = inTenant(database.db, "pipe-a", async (tx) => {
      await tx.execute(sql`select 1 / 0`).catch(() => undefined);
      await tx.insert(sessions).values({ ...kept.snapshot(), tenantId: "pipe-a", createdAt: at, updatedAt: at, version: 1 } as never).catch(() => undefined);
      return "done";
    });
    await expect(attempt).rejects.toThrow(/not committed/);
    expect(await queries.get("pipe-a", kept.id)).toBeNull();
  });

  it("when a one-statement read sends a second statement, then it is refused instead of running after the COMMIT, and the connection is clean afterwards", async () => {
    const attempt = readInTenant(database.db, "pipe-a", async (tx) => {
      // Written at once, as the service's prepared reads are; COMMIT follows it on the wire.
      await runBuiltQuery(tx, { sql: "select 1", params: [] }, "vcs_test_pipe_one");
      return tx.execute(sql`select current_setting('app.tenant_id', true) as t`);
    });
    // drizzle wraps what the driver threw ("Failed query: …", the refusal as its cause).
    await expect(attempt).rejects.toSatisfy((err: Error) => /after the COMMIT/.test(`${err.message} ${(err.cause as Error | undefined)?.message}`));
    const state = await database.db.execute(sql`select current_setting('app.tenant_id', true) as t, now() = statement_timestamp() as fresh`);
    expect([null, ""]).toContain(rowsOf(state)[0]?.t);
    // now() equals the statement's own time only outside an older transaction.
    expect(rowsOf(state)[0]?.fresh).toBe(true);
  });

  it("when a read's statement is only written once awaited (a drizzle builder), then COMMIT waits for it and the read runs inside the tenant's transaction", async () => {
    const seen = await readInTenant(database.db, "pipe-b", (tx) => tx.execute(sql`select current_setting('app.tenant_id', true) as t`));
    expect(rowsOf(seen)[0]?.t).toBe("pipe-b");
  });
});
