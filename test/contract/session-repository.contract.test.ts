import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Database } from "../../src/adapters/postgres/database.js";
import { engines } from "../support/engines.js";
import { PostgresSessionQueries } from "../../src/adapters/postgres/session-queries.js";
import { PostgresUnitOfWork } from "../../src/adapters/postgres/unit-of-work.js";
import type { TenantConfig } from "../../src/domain/tenant-config.js";
import { VirtualSession } from "../../src/domain/session.js";
import { ManualClock } from "../support/app.js";

/** One contract, two engines: what the use cases rely on must hold on PostgreSQL and on PGlite. */

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

for (const engine of engines) {
  describe(`repository contract on ${engine.name}`, () => {
    let db: Database;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock();
    let uow: PostgresUnitOfWork;

    beforeAll(async () => {
      ({ db, cleanup } = await engine.open());
      uow = new PostgresUnitOfWork(db.db, clock);
    });
    afterAll(() => cleanup());

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
      const stored = await new PostgresSessionQueries(db.db).get("t1", s.id);
      expect(stored).toMatchObject({ status: "cancelled", cancelReason: "first", version: 2 });
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
      const queries = new PostgresSessionQueries(db.db);
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
      expect(await new PostgresSessionQueries(db.db).get("t-rollback", s.id)).toBeNull();
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

    it("the list is newest-first, tenant-scoped and continues after a keyset position", async () => {
      const starts = [1, 2, 3, 4].map((d) => new Date(Date.UTC(2027, 0, d, 9)));
      for (const st of starts) await uow.run("t-list", (tx) => tx.sessions.insert(newSession("t-list", st)));
      await uow.run("t-list-other", (tx) => tx.sessions.insert(newSession("t-list-other", starts[3])));
      const q = new PostgresSessionQueries(db.db);
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
      expect((await new PostgresSessionQueries(second.db).get("t-persist", s.id))?.id).toBe(s.id);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

