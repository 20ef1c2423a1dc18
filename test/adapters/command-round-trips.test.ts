import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/adapters/postgres/connection/database.js";
import { schema } from "../../src/adapters/postgres/schema.js";
import { PostgresUnitOfWork } from "../../src/adapters/postgres/repositories/unit-of-work.js";
import { VirtualSession } from "../../src/domain/session.js";
import { bootApp, configureTenant, type TestApp } from "../support/app.js";
import { recordingPool } from "../support/postgres.js";

/**
 * Issue 14: what a command sends. A new session, its participants, its event and its audit row
 * reach PostgreSQL in four round trips (BEGIN with the tenant, the session with its participants,
 * the outbox rows, COMMIT), as the service's own role.
 */
describe("a command's round trips (PostgreSQL, the service's role)", () => {
  let app: TestApp;
  let pool: pg.Pool;
  let db: Db;
  const sent: string[] = [];

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "tr-a");
    // One connection, every query it is sent recorded.
    pool = recordingPool(app.db!.serviceUrl, 1, sent);
    db = drizzle(pool, { schema }) as unknown as Db;
  });
  afterAll(async () => {
    await pool?.end();
    await app?.close();
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
