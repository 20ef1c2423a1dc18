import { describe, expect, it } from "vitest";
import { JitsiMeetAdapter } from "../../../../src/adapters/jitsi/jitsi-meet.js";
import { MemorySessionQueries } from "../../../../src/adapters/memory/memory-session-queries.js";
import { MemoryAudit, MemoryDatabase, MemoryUnitOfWork } from "../../../../src/adapters/memory/memory-unit-of-work.js";
import { defaultTenantConfig } from "../../../../src/domain/tenant-config.js";
import { CreateVirtualSession } from "../../../../src/features/sessions/create-session.js";
import { EndSession } from "../../../../src/features/sessions/end-session.js";
import { GetSessionDetail } from "../../../../src/features/sessions/get-session-detail.js";
import { InitiateFallback } from "../../../../src/features/sessions/initiate-fallback.js";
import type { Actor, TenantConfigRepository } from "../../../../src/platform/ports.js";
import { ManualClock } from "../../../support/clock.js";

/**
 * The fast tier: use cases on the memory twin of the database (held to the PostgreSQL contract by
 * test/contract/session-repository.contract.test.ts). No database, no process, no FHIR server.
 */
function visitService(opts: { licensed?: boolean; consent?: boolean } = {}) {
  const clock = new ManualClock();
  const db = new MemoryDatabase(clock);
  const uow = new MemoryUnitOfWork(db);
  const audit = new MemoryAudit(db);
  const tenantConfigs: TenantConfigRepository = {
    get: (tenantId) => uow.run(tenantId, (tx) => tx.tenantConfigs.get(tenantId)),
    save: (config, expected) => uow.run(config.tenantId, (tx) => tx.tenantConfigs.save(config, expected)),
  };
  let n = 0;
  const create = new CreateVirtualSession({
    uow,
    tenantConfigs,
    consent: { hasActiveConsent: async () => opts.consent ?? true },
    videoHealth: { check: async (b) => ({ backend: b.name, healthy: true, detail: "no health URL" }) },
    // The room name is random bytes: no I/O, so the real adapter serves (its secrets are never opened here).
    video: new JitsiMeetAdapter({ seal: async () => "", open: async () => "" } as never),
    audit,
    clock,
    ids: { uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}` },
  });
  const deps = { uow, audit, clock };
  return {
    db,
    clock,
    tenantConfigs,
    create,
    fallback: new InitiateFallback(deps),
    end: new EndSession(deps),
    detail: new GetSessionDetail({ queries: new MemorySessionQueries(db), audit }),
    async configure(tenantId: string) {
      const config = defaultTenantConfig(tenantId);
      await tenantConfigs.save(
        {
          ...config,
          licensed: opts.licensed ?? true,
          consentRequired: true,
          videoBackends: [{ name: "primary", provider: "jitsi", domain: "meet.example.org", appId: "app", secretEnvelope: "sealed", healthUrl: null, maxConcurrentRooms: null }],
        },
        0,
      );
    },
    eventTypes: (tenantId: string) => db.committed.outbox.filter((r) => r.tenantId === tenantId).map((r) => r.event.type),
  };
}

const clinician = (tenantId: string): Actor => ({ kind: "staff", userId: "dr-1", tenantId, roles: ["clinician"] });
const visit = { patientId: "pat-1", providerId: "dr-1", scheduledStart: new Date("2026-12-01T10:00:00Z") };

describe("visit commands on the memory twin", () => {
  it("when a clinician creates a visit, then it is scheduled with the patient and the clinician invited, and its event and audit row are committed", async () => {
    const svc = visitService();
    await svc.configure("t1");
    const { session } = await svc.create.execute(clinician("t1"), visit);
    expect(session).toMatchObject({ status: "scheduled", version: 1, patientId: "pat-1" });
    expect(session.participants.map((p) => [p.role, p.status])).toEqual([
      ["patient", "invited"],
      ["clinician", "invited"],
    ]);
    expect(svc.eventTypes("t1")).toEqual(["virtualcare.session.created.v1", "audit.virtualcare.session.create"]);
  });

  it("when the tenant is not licensed, then MODULE_NOT_LICENSED, no session, and the refusal is audited", async () => {
    const svc = visitService({ licensed: false });
    await svc.configure("t1");
    await expect(svc.create.execute(clinician("t1"), visit)).rejects.toMatchObject({ code: "MODULE_NOT_LICENSED" });
    expect(svc.db.committed.sessions.size).toBe(0);
    const audits = svc.db.committed.outbox.map((r) => r.event).filter((e) => e.type === "audit.virtualcare.session.create");
    expect(audits.map((e) => (e.data as { outcome: string }).outcome)).toEqual(["denied"]);
  });

  it("when consent is not on file, then CONSENT_REQUIRED and nothing is written", async () => {
    const svc = visitService({ consent: false });
    await svc.configure("t1");
    await expect(svc.create.execute(clinician("t1"), visit)).rejects.toMatchObject({ code: "CONSENT_REQUIRED" });
    expect(svc.db.committed.sessions.size).toBe(0);
  });

  it("when a create is retried with the same Idempotency-Key, then the first answer comes back and one session exists", async () => {
    const svc = visitService();
    await svc.configure("t1");
    const first = await svc.create.execute(clinician("t1"), visit, "key-1");
    const again = await svc.create.execute(clinician("t1"), visit, "key-1");
    expect(again).toEqual({ session: first.session, replayed: true });
    expect(svc.db.committed.sessions.size).toBe(1);
  });

  it("when a visit in fallback is ended, then it is ended with the ended and billing events, and a stale If-Match is refused", async () => {
    const svc = visitService();
    await svc.configure("t1");
    const { session } = await svc.create.execute(clinician("t1"), visit);
    await svc.fallback.execute(clinician("t1"), session.id, { reason: "video failed" });
    await expect(svc.end.execute(clinician("t1"), session.id, 1)).rejects.toMatchObject({
      code: "OPTIMISTIC_LOCK_CONFLICT",
      message: "the session was changed since you read it (version 2 now)",
      details: { currentVersion: 2 },
    });
    svc.clock.advance(600_000);
    const ended = await svc.end.execute(clinician("t1"), session.id, 2);
    expect(ended).toMatchObject({ status: "ended", version: 3 });
    expect(svc.eventTypes("t1")).toContain("virtualcare.billing.session_completed.v1");
    expect(svc.eventTypes("t1")).toContain("virtualcare.session.ended.v1");
  });

  it("when another tenant asks for the visit, then it is not found", async () => {
    const svc = visitService();
    await svc.configure("t1");
    const { session } = await svc.create.execute(clinician("t1"), visit);
    await expect(svc.detail.execute(clinician("t2"), session.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await svc.detail.execute(clinician("t1"), session.id)).id).toBe(session.id);
  });
});
