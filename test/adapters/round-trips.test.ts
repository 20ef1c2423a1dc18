import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/adapters/postgres/database.js";
import { PostgresJoinQueries } from "../../src/adapters/postgres/join-queries.js";
import { schema, sessions as sessionsTable } from "../../src/adapters/postgres/schema.js";
import { PostgresSessionQueries } from "../../src/adapters/postgres/session-queries.js";
import { PooledTenantConfigRepository } from "../../src/adapters/postgres/tenant-config-repository.js";
import { TenantRead } from "../../src/adapters/postgres/tenant-scope.js";
import { PostgresUnitOfWork } from "../../src/adapters/postgres/unit-of-work.js";
import { VirtualSession } from "../../src/domain/session.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { suitePool } from "../support/postgres.js";

/**
 * Issue 14: what the hot paths send. The hot reads (session detail, the list's first page, the join state, the tenant
 * config) reach PostgreSQL in ONE round trip with their tenant (`TenantRead`), as the service's
 * own role, and row-level security still holds for them.
 */
describe("one-round-trip tenant reads (PostgreSQL, the service's role)", () => {
  let app: TestApp;
  let pool: pg.Pool;
  let db: Db;
  const sent: string[] = [];
  let session: { id: string; participants: Array<{ id: string }> };

  beforeAll(async () => {
    app = await bootApp();
    for (const tenant of ["tr-a", "tr-b"]) await configureTenant(app, tenant);
    const res = await app.request({ method: "POST", url: "/v1/sessions", token: await staffToken("tr-b", ["scheduler"]), body: sessionBody() });
    expect(res.statusCode, res.body).toBe(201);
    session = res.json();
    // One connection, every query it is sent recorded: a round trip is one client.query.
    pool = suitePool(app.db!.serviceUrl, 1);
    pool.on("connect", (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      client.query = ((...args: unknown[]) => {
        const first = args[0] as string | { text: string };
        sent.push(typeof first === "string" ? first : first.text);
        return query(...args);
      }) as typeof client.query;
    });
    db = drizzle(pool, { schema }) as unknown as Db;
  });
  afterAll(async () => {
    await pool?.end();
    await app?.close();
  });

  const roundTrips = async (read: () => Promise<unknown>) => {
    await read(); // the pool's first connect may add its own queries
    sent.length = 0;
    const result = await read();
    return { result, trips: sent.length };
  };

  it("when the detail, first page, join state and tenant config are read, then each is one round trip and finds the tenant's rows", async () => {
    const sessions = new PostgresSessionQueries(db);
    const detail = await roundTrips(() => sessions.get("tr-b", session.id));
    expect(detail.trips).toBe(1);
    expect(detail.result).toMatchObject({ id: session.id, tenantId: "tr-b", version: 1 });
    expect((detail.result as { participants: unknown[] }).participants).toHaveLength(2);
    expect((detail.result as { scheduledStart: unknown }).scheduledStart).toBeInstanceOf(Date);

    const page = await roundTrips(() => sessions.list({ tenantId: "tr-b", limit: 5 }));
    expect(page.trips).toBe(1);
    expect((page.result as Array<{ id: string }>).map((s) => s.id)).toEqual([session.id]);

    const join = await roundTrips(() => new PostgresJoinQueries(db).joinState("tr-b", session.id, session.participants[0]!.id));
    expect(join.trips).toBe(1);
    expect(join.result).toMatchObject({ sessionStatus: "scheduled", participant: { id: session.participants[0]!.id, role: "patient" } });
    expect((join.result as { config: { licensed: boolean } | null }).config).not.toBeNull();

    const config = await roundTrips(() => new PooledTenantConfigRepository(db).get("tr-b"));
    expect(config.trips).toBe(1);
    expect(config.result).toMatchObject({ tenantId: "tr-b", version: 1 });
  });

  it("when tenant A's one-trip read names tenant B's session and tenant, then row-level security still hides it", async () => {
    const sessions = new PostgresSessionQueries(db);
    // The read's own WHERE says tr-b; only the scope says tr-a. The policy decides.
    const list = await sessions.list({ tenantId: "tr-b", limit: 5 });
    expect(list).toHaveLength(1);
    const read = new TenantRead<{ id: string }>(db.select({ id: sessionsTable.id }).from(sessionsTable).where(eq(sessionsTable.id, sql.placeholder("id"))), ["id"]);
    expect(await read.run(db, "tr-a", { id: session.id })).toEqual([]);
    expect(await read.run(db, "tr-b", { id: session.id })).toEqual([{ id: session.id }]);
  });

  it("when a tenant id carries quotes, backslashes or SQL, then it is only ever a value; a NUL is refused before sending", async () => {
    const sessions = new PostgresSessionQueries(db);
    for (const tenant of ["tr-b' or '1'='1", "tr-b\\' or true --", "x'); drop table virtual_sessions; --", "tr-b'; reset all; select '"]) {
      expect(await sessions.list({ tenantId: tenant, limit: 5 }), tenant).toEqual([]);
    }
    await expect(sessions.list({ tenantId: "tr-b\0", limit: 5 })).rejects.toThrow(/NUL/);
    // The table is still there and still holds the session.
    expect((await sessions.get("tr-b", session.id))?.id).toBe(session.id);
  });

  it("when a one-trip read ran on a connection, then the next statement on it has no tenant and may write", async () => {
    await new PostgresSessionQueries(db).get("tr-b", session.id);
    const after = await pool.query("select current_setting('app.tenant_id', true) as tenant, current_setting('transaction_read_only') as ro");
    expect(after.rows[0]).toEqual({ tenant: "", ro: "off" });
  });

  it("when a unit of work inserts a session and audits it, then four round trips (begin, session with participants, events with audit, commit) and the rows keep their order", async () => {
    const now = new Date("2026-12-01T09:00:00Z");
    const session = VirtualSession.schedule({
      id: "30000000-0000-4000-8000-000000000001",
      tenantId: "tr-a",
      patientId: "p-trips",
      providerId: "dr",
      appointmentId: null,
      scheduledStart: new Date("2026-12-02T10:00:00Z"),
      scheduledEnd: new Date("2026-12-02T10:30:00Z"),
      video: { backend: "primary", provider: "jitsi", domain: "meet.example.org", roomName: "room-trips" },
      participants: [
        { id: "30000000-0000-4000-8000-000000000002", role: "patient", displayName: "P", externalId: "p-trips" },
        { id: "30000000-0000-4000-8000-000000000003", role: "clinician", displayName: "C", externalId: "dr" },
      ],
      maxParticipants: 6,
      now,
    });
    const uow = new PostgresUnitOfWork(db, { now: () => now });
    sent.length = 0;
    await uow.run("tr-a", async (tx) => {
      await tx.sessions.insert(session);
      await tx.audit.record({ actor: { kind: "staff", tenantId: "tr-a", userId: "u", roles: ["scheduler"] }, action: "session.create", outcome: "success", targets: { sessionId: session.id } });
    });
    expect(sent).toHaveLength(4);
    expect(sent[0]).toMatch(/^begin/);
    expect(sent[1]).toMatch(/^with "first_insert" as \(insert into "virtual_sessions"/);
    expect(sent[2]).toMatch(/^insert into "virtual_care_outbox"/);
    expect(sent[3]).toBe("commit");
    const stored = await app.owner.query("select type from virtual_care_outbox where aggregate_id = $1 order by seq", [session.id]);
    expect(stored.rows.map((r) => r.type)).toEqual(["virtualcare.session.created.v1", "audit.virtualcare.session.create"]);
    const people = await app.owner.query("select count(*)::int as n from session_participants where session_id = $1", [session.id]);
    expect(people.rows[0].n).toBe(2);
  });
});
