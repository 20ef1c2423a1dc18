import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/adapters/postgres/connection/database.js";
import { engines } from "../support/engines.js";
import { PostgresSessionQueries } from "../../src/adapters/postgres/queries/session-queries.js";
import { PostgresUnitOfWork } from "../../src/adapters/postgres/repositories/unit-of-work.js";
import { MemoryDatabase, MemoryUnitOfWork } from "../../src/adapters/memory/memory-unit-of-work.js";
import { MemorySessionQueries } from "../../src/adapters/memory/memory-session-queries.js";
import type { TenantConfig } from "../../src/domain/tenant-config.js";
import type { Participant } from "../../src/domain/participant.js";
import { VirtualSession } from "../../src/domain/session.js";
import type { SessionQueries, SessionsTx } from "../../src/features/sessions/ports.js";
import type { UnitOfWork } from "../../src/platform/ports.js";
import { ManualClock } from "../support/app.js";

/**
 * One contract, three implementations: what the use cases rely on must hold on PostgreSQL, on
 * PGlite, and on the memory twin the fast tier runs use cases on (src/adapters/memory).
 */
interface Store {
  uow: UnitOfWork<SessionsTx>;
  queries: SessionQueries & { participants(tenantId: string, sessionId: string): Promise<Participant[] | null> };
  /** The audit actions committed for a session, in commit order. */
  auditActions(sessionId: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

// PGlite has one connection: its transactions run one after another, so two writers never overlap there.
const stores: Array<{ name: string; concurrent: boolean; open(clock: ManualClock): Promise<Store> }> = [
  ...engines.map((engine) => ({
    name: engine.name,
    concurrent: engine.name === "PostgreSQL",
    open: async (clock: ManualClock) => {
      const { db, cleanup } = await engine.open();
      const auditActions = async (sessionId: string) => {
        const result = await db.system.execute(sql`select data->>'action' as action from virtual_care_outbox where aggregate_type = 'audit' and data->'targets'->>'sessionId' = ${sessionId} order by seq`);
        return (result as unknown as { rows: Array<{ action: string }> }).rows.map((r) => r.action);
      };
      return { uow: new PostgresUnitOfWork(db.db, clock), queries: new PostgresSessionQueries(db.db, clock), auditActions, cleanup };
    },
  })),
  {
    name: "memory",
    concurrent: true,
    open: async (clock: ManualClock) => {
      const db = new MemoryDatabase(clock);
      const auditActions = async (sessionId: string) =>
        db.committed.outbox.filter((r) => r.event.aggregateType === "audit" && (r.event.data as { targets?: Record<string, string> }).targets?.sessionId === sessionId).map((r) => (r.event.data as { action: string }).action);
      return { uow: new MemoryUnitOfWork(db), queries: new MemorySessionQueries(db), auditActions, cleanup: async () => {} };
    },
  },
];

let n = 0;
const newSession = (tenantId: string, start = new Date("2026-12-01T10:00:00Z"), appointmentId: string | null = null) => {
  n += 1;
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return VirtualSession.schedule({
    id,
    tenantId,
    patientId: `p-${n}`,
    providerId: "dr",
    appointmentId,
    scheduledStart: start,
    scheduledEnd: new Date(start.getTime() + 1_800_000),
    video: { backend: "main", provider: "jitsi", domain: "meet.example.org", roomName: `room-${n}` },
    participants: [
      { id: `10000000-0000-4000-8000-${String(n).padStart(12, "0")}`, role: "patient", displayName: "P", externalId: `p-${n}` },
      { id: `20000000-0000-4000-8000-${String(n).padStart(12, "0")}`, role: "clinician", displayName: "C", externalId: "dr" },
    ],
    maxParticipants: 6,
    now: new Date("2026-11-30T10:00:00Z"),
  });
};

for (const store of stores) {
  describe(`repository contract on ${store.name}`, () => {
    const clock = new ManualClock();
    let uow: Store["uow"];
    let queries: Store["queries"];
    let cleanup: () => Promise<void>;

    let auditActions: Store["auditActions"];

    beforeAll(async () => {
      ({ uow, queries, auditActions, cleanup } = await store.open(clock));
    });
    afterAll(() => cleanup());

    it("getAudited: a session found comes back with its audit row committed; one not found (or another tenant's) writes none", async () => {
      const s = newSession("t1");
      await uow.run("t1", (tx) => tx.sessions.insert(s));
      const actor = { kind: "staff" as const, tenantId: "t1", userId: "u", roles: ["clinician" as const] };
      const read = await queries.getAudited("t1", s.id, { actor, action: "session.read", outcome: "success", targets: { sessionId: s.id } });
      expect(read?.id).toBe(s.id);
      expect(await auditActions(s.id)).toEqual(["session.read"]);
      const other = { ...actor, tenantId: "t2" };
      expect(await queries.getAudited("t2", s.id, { actor: other, action: "session.read", outcome: "success", targets: { sessionId: s.id } })).toBeNull();
      expect(await auditActions(s.id)).toEqual(["session.read"]);
    });

    it("an inserted session reads back whole, with its events in the outbox", async () => {
      const s = newSession("t1");
      await uow.run("t1", (tx) => tx.sessions.insert(s));
      const back = await uow.run("t1", (tx) => tx.sessions.findById("t1", s.id));
      expect(back?.snapshot()).toEqual(s.snapshot());
      const count = await uow.run("t2", async (tx) => (await tx.sessions.findById("t2", s.id)) === null);
      expect(count).toBe(true);
    });

    it("save bumps the version once and refuses a stale expected version", async () => {
      const s = newSession("t1");
      await uow.run("t1", (tx) => tx.sessions.insert(s));
      const a = (await uow.run("t1", (tx) => tx.sessions.findById("t1", s.id)))!;
      const b = (await uow.run("t1", (tx) => tx.sessions.findById("t1", s.id)))!;
      a.cancel("first", clock.now());
      await uow.run("t1", (tx) => tx.sessions.save(a, 1));
      expect(a.version).toBe(2);
      b.initiateFallback("second", null, clock.now());
      await expect(uow.run("t1", (tx) => tx.sessions.save(b, 1))).rejects.toMatchObject({
        code: "OPTIMISTIC_LOCK_CONFLICT",
        details: { currentVersion: 2 },
      });
      const stored = await queries.get("t1", s.id);
      expect(stored).toMatchObject({ status: "cancelled", cancelReason: "first", version: 2 });
    });

    if (store.concurrent) {
      it("two writers that loaded the same version: the one that commits second gets OPTIMISTIC_LOCK_CONFLICT with the winner's version", async () => {
        const s = newSession("t-race");
        await uow.run("t-race", (tx) => tx.sessions.insert(s));
        let bLoaded!: () => void;
        const loaded = new Promise<void>((resolve) => (bLoaded = resolve));
        let aCommitted!: () => void;
        const committed = new Promise<void>((resolve) => (aCommitted = resolve));
        const b = uow.run("t-race", async (tx) => {
          const mine = (await tx.sessions.findById("t-race", s.id))!;
          bLoaded();
          await committed;
          mine.cancel("second", clock.now());
          await tx.sessions.save(mine, 1);
        });
        await loaded;
        await uow.run("t-race", async (tx) => {
          const mine = (await tx.sessions.findById("t-race", s.id))!;
          mine.initiateFallback("first", null, clock.now());
          await tx.sessions.save(mine, 1);
        });
        aCommitted();
        await expect(b).rejects.toMatchObject({ code: "OPTIMISTIC_LOCK_CONFLICT", details: { currentVersion: 2 } });
        expect(await queries.get("t-race", s.id)).toMatchObject({ status: "fallback", version: 2 });
      });
    }

    if (store.concurrent) {
      it("a config save that commits while a create that checked the old version is still open: that create never commits after it", async () => {
        const base: TenantConfig = {
          tenantId: "t-guard-race", version: 0, licensed: true, maxParticipants: 4, waitingRoomEnabled: true, consentRequired: false,
          joinTokenTtlSeconds: 600, fallbackBandwidthKbps: 100, aiSummaryEnabled: false, videoBackends: [],
        };
        await uow.run("t-guard-race", (tx) => tx.tenantConfigs.save(base, 0));
        const s = newSession("t-guard-race");
        let checked!: () => void;
        const hasChecked = new Promise<void>((resolve) => (checked = resolve));
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        const create = uow.run("t-guard-race", async (tx) => {
          await tx.tenantConfigs.assertVersion("t-guard-race", 1);
          // A read waits for its answer, so the check has run on the server before this goes on.
          await tx.tenantConfigs.get("t-guard-race");
          checked();
          await released;
          await tx.sessions.insert(s);
        });
        create.catch(() => undefined);
        await hasChecked;
        let saveCommitted = false;
        const save = uow.run("t-guard-race", (tx) => tx.tenantConfigs.save({ ...base, licensed: false }, 1)).then(() => (saveCommitted = true));
        // Time for a save that does not wait for the open create to commit first.
        await new Promise((r) => setTimeout(r, 300));
        const savedFirst = saveCommitted;
        release();
        if (savedFirst) {
          // The memory twin: the save committed first, so the create's commit finds version 2.
          await expect(create).rejects.toMatchObject({ code: "OPTIMISTIC_LOCK_CONFLICT", details: { currentVersion: 2 } });
          expect(await uow.run("t-guard-race", (tx) => tx.sessions.findById("t-guard-race", s.id))).toBeNull();
        } else {
          // PostgreSQL: the save waited for the create that had checked version 1.
          await create;
        }
        await save;
      });
    }

    if (store.concurrent) {
      it("two requests with one Idempotency-Key at once: the second's save answers false once the first commits", async () => {
        const rec = { tenantId: "t-idem-race", key: "k-race", requestHash: "h", statusCode: 201, body: { id: "first" } };
        let aSaved!: () => void;
        const saved = new Promise<void>((resolve) => (aSaved = resolve));
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const a = uow.run("t-idem-race", async (tx) => {
          const first = await tx.idempotency.save(rec);
          aSaved();
          await gate;
          return first;
        });
        await saved;
        const b = uow.run("t-idem-race", (tx) => tx.idempotency.save({ ...rec, body: { id: "second" } }));
        release();
        expect(await a).toBe(true);
        expect(await b).toBe(false);
        expect(await uow.run("t-idem-race", (tx) => tx.idempotency.find("t-idem-race", "k-race"))).toMatchObject({ body: { id: "first" } });
      });
    }

    it("two saves of one session in one transaction: both apply, the version grows twice", async () => {
      const s = newSession("t-twice");
      await uow.run("t-twice", (tx) => tx.sessions.insert(s));
      await uow.run("t-twice", async (tx) => {
        const mine = (await tx.sessions.findById("t-twice", s.id))!;
        mine.initiateFallback("first", null, clock.now());
        await tx.sessions.save(mine, 1);
        mine.end(clock.now());
        await tx.sessions.save(mine, 2);
      });
      expect(await queries.get("t-twice", s.id)).toMatchObject({ status: "ended", version: 3 });
    });

    it("a participant's recorded pre-call check reads back whole: by the repository, the detail and the list of participants", async () => {
      const s = newSession("t1");
      await uow.run("t1", (tx) => tx.sessions.insert(s));
      const patient = s.snapshot().participants[0]!.id;
      const loaded = (await uow.run("t1", (tx) => tx.sessions.findById("t1", s.id)))!;
      loaded.enterWaitingRoom(patient, clock.now());
      loaded.recordPrecall(patient, 1234.5, false, new Date("2026-12-01T09:58:01.250Z"));
      await uow.run("t1", (tx) => tx.sessions.save(loaded, 1));
      const expected = { precallKbps: 1234.5, precallBelowThreshold: false, precallCheckedAt: new Date("2026-12-01T09:58:01.250Z") };
      const back = (await uow.run("t1", (tx) => tx.sessions.findById("t1", s.id)))!;
      expect(back.participant(patient)).toMatchObject(expected);
      expect(back.snapshot()).toEqual(loaded.snapshot());
      expect((await queries.get("t1", s.id))?.participants[0]).toEqual(back.participant(patient));
      expect((await queries.participants("t1", s.id))?.[0]).toEqual(back.participant(patient));
      // Not checked yet reads back as nulls, not as absent fields.
      expect((await queries.participants("t1", s.id))?.[1]).toMatchObject({ precallKbps: null, precallBelowThreshold: null, precallCheckedAt: null });
    });

    it("a throw inside the unit of work rolls back the row and its outbox events", async () => {
      const s = newSession("t-rollback");
      await expect(
        uow.run("t-rollback", async (tx) => {
          await tx.sessions.insert(s);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await queries.get("t-rollback", s.id)).toBeNull();
    });

    it("one appointment yields at most one session per tenant", async () => {
      await uow.run("t-appt", (tx) => tx.sessions.insert(newSession("t-appt", undefined, "A-1")));
      await expect(uow.run("t-appt", (tx) => tx.sessions.insert(newSession("t-appt", undefined, "A-1")))).rejects.toMatchObject({
        code: "APPOINTMENT_ALREADY_LINKED",
      });
      await uow.run("t-appt-other", (tx) => tx.sessions.insert(newSession("t-appt-other", undefined, "A-1")));
    });

    it("rooms in use count only non-final sessions on the backend whose time overlaps", async () => {
      const at = (h: number) => new Date(Date.UTC(2026, 11, 5, h));
      const s1 = newSession("t-rooms", at(10));
      const s2 = newSession("t-rooms", at(12));
      const s3 = newSession("t-rooms", at(10));
      s3.cancel("x", clock.now());
      await uow.run("t-rooms", async (tx) => {
        await tx.sessions.insert(s1);
        await tx.sessions.insert(s2);
        await tx.sessions.insert(s3);
      });
      const n10 = await uow.run("t-rooms", (tx) => tx.sessions.countRoomsInUse("t-rooms", "main", at(10), new Date(at(10).getTime() + 1_800_000)));
      const n11 = await uow.run("t-rooms", (tx) => tx.sessions.countRoomsInUse("t-rooms", "main", at(11), at(12)));
      expect(n10).toBe(1);
      expect(n11).toBe(0);
    });

    it("tenant config saves at version 1, replaces under the version, and refuses a stale one", async () => {
      const config: TenantConfig = {
        tenantId: "t-cfg",
        version: 0,
        licensed: true,
        maxParticipants: 4,
        waitingRoomEnabled: true,
        consentRequired: false,
        joinTokenTtlSeconds: 600,
        fallbackBandwidthKbps: 100,
        aiSummaryEnabled: false,
        videoBackends: [
          { name: "a", provider: "jitsi", domain: "a.example.org", appId: "x", secretEnvelope: "v1.k.w.b", healthUrl: null, maxConcurrentRooms: null },
        ],
      };
      const saved = await uow.run("t-cfg", (tx) => tx.tenantConfigs.save(config, 0));
      expect(saved.version).toBe(1);
      await expect(uow.run("t-cfg", (tx) => tx.tenantConfigs.save(config, 0))).rejects.toMatchObject({ code: "OPTIMISTIC_LOCK_CONFLICT" });
      const again = await uow.run("t-cfg", (tx) => tx.tenantConfigs.save({ ...config, maxParticipants: 9 }, 1));
      expect(again.version).toBe(2);
      expect(await uow.run("t-cfg", (tx) => tx.tenantConfigs.get("t-cfg"))).toEqual({ ...config, maxParticipants: 9, version: 2 });
    });

    it("a transaction that asserts the tenant config's version commits only while that version is stored; otherwise nothing it wrote commits", async () => {
      const config: TenantConfig = {
        tenantId: "t-guard", version: 0, licensed: true, maxParticipants: 4, waitingRoomEnabled: true, consentRequired: false,
        joinTokenTtlSeconds: 600, fallbackBandwidthKbps: 100, aiSummaryEnabled: false, videoBackends: [],
      };
      await uow.run("t-guard", (tx) => tx.tenantConfigs.save(config, 0));
      const kept = newSession("t-guard");
      await uow.run("t-guard", async (tx) => {
        await tx.tenantConfigs.assertVersion("t-guard", 1);
        await tx.sessions.insert(kept);
      });
      await uow.run("t-guard", (tx) => tx.tenantConfigs.save({ ...config, maxParticipants: 5 }, 1));
      const lost = newSession("t-guard");
      await expect(
        uow.run("t-guard", async (tx) => {
          await tx.tenantConfigs.assertVersion("t-guard", 1);
          await tx.sessions.insert(lost);
        }),
      ).rejects.toMatchObject({ code: "OPTIMISTIC_LOCK_CONFLICT", details: { currentVersion: 2 } });
      expect(await uow.run("t-guard", (tx) => tx.sessions.findById("t-guard", kept.id))).not.toBeNull();
      expect(await uow.run("t-guard", (tx) => tx.sessions.findById("t-guard", lost.id))).toBeNull();
      // A tenant without a config at all: no version matches.
      await expect(uow.run("t-none", (tx) => tx.tenantConfigs.assertVersion("t-none", 1))).rejects.toMatchObject({ details: { currentVersion: 0 } });
    });

    it("the list is newest-first, tenant-scoped and continues after a keyset position", async () => {
      const starts = [1, 2, 3, 4].map((d) => new Date(Date.UTC(2027, 0, d, 9)));
      for (const st of starts) await uow.run("t-list", (tx) => tx.sessions.insert(newSession("t-list", st)));
      await uow.run("t-list-other", (tx) => tx.sessions.insert(newSession("t-list-other", starts[3])));
      const q = queries;
      const first = await q.list({ tenantId: "t-list", limit: 2 });
      expect(first.map((s) => s.scheduledStart)).toEqual([starts[3], starts[2]]);
      const last = first[1]!;
      const rest = await q.list({ tenantId: "t-list", limit: 10, after: { scheduledStart: last.scheduledStart, id: last.id } });
      expect(rest.map((s) => s.scheduledStart)).toEqual([starts[1], starts[0]]);
      expect(rest.every((s) => s.tenantId === "t-list" && s.participants.length === 2)).toBe(true);
    });

    it("an idempotency key is stored once per tenant", async () => {
      const rec = { tenantId: "t-idem", key: "k", requestHash: "h", statusCode: 201, body: { id: "x" } };
      expect(await uow.run("t-idem", (tx) => tx.idempotency.save(rec))).toBe(true);
      expect(await uow.run("t-idem", (tx) => tx.idempotency.save({ ...rec, body: { id: "y" } }))).toBe(false);
      expect(await uow.run("t-idem", (tx) => tx.idempotency.find("t-idem", "k"))).toEqual(rec);
      expect(await uow.run("t-other", (tx) => tx.idempotency.find("t-other", "k"))).toBeNull();
    });
  });
}

describe("PGlite keeps data across a restart (the embedded default)", () => {
  it("a session written before close is there after reopening the same folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vcs-pglite-restart-"));
    try {
      const first = await openDatabase({ dataDir: dir, migrate: true });
      const s = newSession("t-persist");
      await new PostgresUnitOfWork(first.db, new ManualClock()).run("t-persist", (tx) => tx.sessions.insert(s));
      await first.close();
      const second = await openDatabase({ dataDir: dir, migrate: true });
      expect((await new PostgresSessionQueries(second.db, new ManualClock()).get("t-persist", s.id))?.id).toBe(s.id);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

