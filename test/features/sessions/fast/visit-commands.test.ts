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
import { RememberedTenantConfigs } from "../../../../src/platform/remembered-tenant-configs.js";
import { ManualClock } from "../../../support/clock.js";

/**
 * The fast tier: use cases on the memory twin of the database (held to the PostgreSQL contract by
 * test/contract/session-repository.contract.test.ts). No database, no process, no FHIR server.
 */
function visitService(opts: { licensed?: boolean; consent?: boolean; beforeHealthAnswer?: () => Promise<void> } = {}) {
  const clock = new ManualClock();
  const db = new MemoryDatabase(clock);
  const uow = new MemoryUnitOfWork(db);
  const audit = new MemoryAudit(db);
  // Each its own transaction, as the pooled repository: `otherReplica` writes without this process knowing.
  const otherReplica: TenantConfigRepository = {
    get: (tenantId) => uow.run(tenantId, (tx) => tx.tenantConfigs.get(tenantId)),
    save: (config, expected) => uow.run(config.tenantId, (tx) => tx.tenantConfigs.save(config, expected)),
    assertVersion: (tenantId, version) => uow.run(tenantId, (tx) => tx.tenantConfigs.assertVersion(tenantId, version)),
  };
  const tenantConfigs = new RememberedTenantConfigs(otherReplica);
  let n = 0;
  const create = new CreateVirtualSession({
    uow,
    tenantConfigs,
    consent: { hasActiveConsent: async () => opts.consent ?? true },
    videoHealth: {
      check: async (b) => {
        await opts.beforeHealthAnswer?.();
        return { backend: b.name, healthy: true, detail: "no health URL" };
      },
    },
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
    otherReplica,
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

  describe("a create decides on the config this process read last, and its commit checks it is still the stored one", () => {
    const backend = (name: string, domain: string) => ({ name, provider: "jitsi" as const, domain, appId: "app", secretEnvelope: "sealed", healthUrl: null, maxConcurrentRooms: null });

    it("when another replica revoked the licence since, then the create is refused MODULE_NOT_LICENSED and nothing is written", async () => {
      const svc = visitService();
      await svc.configure("t1");
      await svc.create.execute(clinician("t1"), visit);
      const stored = (await svc.otherReplica.get("t1"))!;
      await svc.otherReplica.save({ ...stored, licensed: false }, stored.version);
      await expect(svc.create.execute(clinician("t1"), visit)).rejects.toMatchObject({ code: "MODULE_NOT_LICENSED" });
      expect(svc.db.committed.sessions.size).toBe(1);
    });

    it("when the config changes between the create's checks and its commit, then that commit writes nothing and the create is decided again on the new config", async () => {
      let change: (() => Promise<void>) | undefined;
      const svc = visitService({ beforeHealthAnswer: async () => change?.() });
      await svc.configure("t1");
      const stored = (await svc.otherReplica.get("t1"))!;
      // Another replica moves the tenant to a new video backend while this create checks the old one.
      change = async () => {
        change = undefined;
        await svc.otherReplica.save({ ...stored, videoBackends: [backend("secondary", "video.example.net")] }, stored.version);
      };
      const { session } = await svc.create.execute(clinician("t1"), visit);
      expect(session.video).toMatchObject({ backend: "secondary", domain: "video.example.net" });
      expect(svc.db.committed.sessions.size).toBe(1);
      expect(svc.eventTypes("t1").filter((t) => t === "virtualcare.session.created.v1")).toHaveLength(1);
    });

    it("when this process has no config in memory and the config changes before the commit, then the create is decided again on the new config", async () => {
      let change: (() => Promise<void>) | undefined;
      const svc = visitService({ beforeHealthAnswer: async () => change?.() });
      const config = defaultTenantConfig("t1");
      // Saved by another replica: this process has read nothing yet.
      await svc.otherReplica.save({ ...config, licensed: true, consentRequired: false, videoBackends: [backend("primary", "meet.example.org")] }, 0);
      change = async () => {
        change = undefined;
        const now = (await svc.otherReplica.get("t1"))!;
        await svc.otherReplica.save({ ...now, videoBackends: [backend("secondary", "video.example.net")] }, now.version);
      };
      const { session } = await svc.create.execute(clinician("t1"), visit);
      expect(session.video).toMatchObject({ backend: "secondary" });
      expect(svc.db.committed.sessions.size).toBe(1);
    });

    it("when the config changes during every attempt, then after five attempts OPTIMISTIC_LOCK_CONFLICT and nothing is written", async () => {
      let saves = 0;
      const svc = visitService({ beforeHealthAnswer: async () => {
        const now = (await svc.otherReplica.get("t1"))!;
        await svc.otherReplica.save({ ...now, maxParticipants: now.maxParticipants }, now.version);
        saves += 1;
      } });
      await svc.configure("t1");
      await expect(svc.create.execute(clinician("t1"), visit)).rejects.toMatchObject({ code: "OPTIMISTIC_LOCK_CONFLICT" });
      expect(saves).toBe(5);
      expect(svc.db.committed.sessions.size).toBe(0);
    });
  });
});
