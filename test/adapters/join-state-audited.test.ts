import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/adapters/postgres/connection/database.js";
import { PostgresJoinQueries } from "../../src/adapters/postgres/queries/join-queries.js";
import { PostgresUnitOfWork } from "../../src/adapters/postgres/repositories/unit-of-work.js";
import { participantRoles } from "../../src/domain/participant.js";
import { VirtualSession } from "../../src/domain/session.js";
import { keepsWaiting } from "../../src/features/join/validate-join-token.js";
import { createTestDatabase, suitePool, type TestDatabase } from "../support/postgres.js";

/**
 * Issue 23: the validate fast path's audit row is written by the join-state read itself, under a
 * SQL condition (src/adapters/postgres/queries/join-queries.ts). That condition must never let
 * through a state the use case does not answer as "keeps waiting" (it would leave a success row
 * for an answer that was not one). Every combination of what it looks at, on PostgreSQL as the
 * service's role: written exactly when `keepsWaiting` says so.
 */
describe("the join-state read writes the validate audit row exactly for the states keepsWaiting accepts", () => {
  let tdb: TestDatabase;
  let database: Database;
  let owner: pg.Pool;
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-join-audit-"));
  const at = new Date("2026-12-01T09:00:00Z");
  const session = VirtualSession.schedule({
    id: "60000000-0000-4000-8000-000000000001",
    tenantId: "ja",
    patientId: "p-ja",
    providerId: "dr-ja",
    appointmentId: null,
    scheduledStart: new Date("2026-12-02T10:00:00Z"),
    scheduledEnd: new Date("2026-12-02T10:30:00Z"),
    video: { backend: "primary", provider: "jitsi", domain: "meet.example.org", roomName: "room-ja" },
    participants: [
      { id: "60000000-0000-4000-8000-000000000002", role: "patient", displayName: "P", externalId: "p-ja" },
      { id: "60000000-0000-4000-8000-000000000003", role: "clinician", displayName: "C", externalId: "dr-ja" },
      { id: "60000000-0000-4000-8000-000000000004", role: "interpreter", displayName: "I", externalId: "i-ja" },
      { id: "60000000-0000-4000-8000-000000000005", role: "caregiver", displayName: "G", externalId: "g-ja" },
      { id: "60000000-0000-4000-8000-000000000006", role: "guest", displayName: "U", externalId: "u-ja" },
    ],
    maxParticipants: participantRoles.length,
    now: at,
  });

  beforeAll(async () => {
    tdb = await createTestDatabase();
    database = await openDatabase({ databaseUrl: tdb.serviceUrl, migrationUrl: tdb.url, dataDir, migrate: true, poolSize: 2 });
    owner = suitePool(tdb.url, 1);
    await new PostgresUnitOfWork(database.db, { now: () => at }).run("ja", (tx) => tx.sessions.insert(session));
  });
  afterAll(async () => {
    await owner?.end();
    await database?.close();
    await tdb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("for every role, participant status, session status, licence and waiting-room setting (and no stored config)", async () => {
    const queries = new PostgresJoinQueries(database.db, { now: () => at });
    const actor = { kind: "participant" as const, tenantId: "ja", sessionId: session.id, participantId: "" };
    const configs: Array<Record<string, unknown> | null> = [null];
    for (const licensed of [true, false]) for (const waitingRoomEnabled of [true, false]) configs.push({ licensed, waitingRoomEnabled });
    // A config stored without the setting: the use case reads it as off (a direct join).
    configs.push({ licensed: true });
    let checked = 0;
    let written = 0;
    for (const config of configs) {
      await owner.query("delete from tenant_configs where tenant_id = 'ja'");
      if (config) await owner.query("insert into tenant_configs (tenant_id, version, config, updated_at) values ('ja', 1, $1, now())", [config]);
      for (const sessionStatus of ["scheduled", "in_progress", "ended", "cancelled", "fallback"]) {
        await owner.query("update virtual_sessions set status = $1 where id = $2", [sessionStatus, session.id]);
        for (const participant of session.snapshot().participants) {
          for (const status of ["invited", "waiting", "admitted", "removed"]) {
            await owner.query("update session_participants set status = $1 where id = $2", [status, participant.id]);
            const before = await auditRows();
            const state = await queries.joinStateAudited("ja", session.id, participant.id, {
              actor: { ...actor, participantId: participant.id },
              action: "join.validate",
              outcome: "success",
              targets: { sessionId: session.id, participantId: participant.id },
            });
            const rowWritten = (await auditRows()) - before;
            const expected = state !== null && keepsWaiting(state);
            expect({ config, sessionStatus, role: participant.role, status, audited: state?.audited, rowWritten }).toEqual({
              config,
              sessionStatus,
              role: participant.role,
              status,
              audited: expected,
              rowWritten: expected ? 1 : 0,
            });
            checked += 1;
            if (expected) written += 1;
          }
        }
      }
    }
    // Not vacuous: both answers occurred.
    expect(checked).toBe(6 * 5 * participantRoles.length * 4);
    expect(written).toBeGreaterThan(0);
  });

  const auditRows = async () => Number((await owner.query("select count(*) as n from virtual_care_outbox where type = 'audit.virtualcare.join.validate'")).rows[0].n);
});
