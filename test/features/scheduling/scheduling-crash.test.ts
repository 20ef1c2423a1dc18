import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../../src/adapters/fhir/embedded-fhir-server.js";
import { roomAllocationLockKey } from "../../../src/adapters/postgres/repositories/session-repository.js";
import { staffToken } from "../../support/app.js";
import { eventually, PrivateNats } from "../../support/nats.js";
import { createTestDatabase, type TestDatabase } from "../../support/postgres.js";
import { appointmentEvent, consumerIdle, deliver } from "../../support/scheduling.js";
import { ServiceProcess } from "../../support/service-process.js";

const DURABLE = "virtual-care-scheduling";

/**
 * The consumer is stopped at a known point without hooks in the service: the test holds the
 * advisory lock that room allocation takes inside the create transaction (the tenant's backend has
 * a room limit), so the service sits inside its transaction, with the message delivered, unacked.
 */
describe("scheduling consumer killed before its ack (child process, own nats-server, PostgreSQL)", () => {
  let nats: PrivateNats;
  let db: TestDatabase;
  let fhir: EmbeddedFhirServer;
  let admin: pg.Client;
  let service: ServiceProcess | null = null;
  const tenant = `sched-crash-${randomUUID().slice(0, 8)}`;
  let env: Record<string, string>;

  beforeAll(async () => {
    nats = await PrivateNats.start();
    db = await createTestDatabase();
    fhir = new EmbeddedFhirServer();
    await fhir.start();
    env = { DATABASE_URL: db.url, NATS_URL: nats.url, FHIR_BASE_URL: fhir.baseUrl, SCHEDULING_ACK_WAIT_MS: "2000" };
    service = await ServiceProcess.start(env);
    const token = await staffToken(tenant, ["admin", "platform_admin"]);
    const put = await service.request("PUT", "/v1/tenant-config", token, {
      licensed: true,
      consentRequired: false,
      videoBackends: [{ name: "limited", provider: "jitsi", domain: "meet.example.org", appId: "vcs", secret: "s".repeat(32), maxConcurrentRooms: 100 }],
    });
    expect(put.status).toBe(200);
    admin = new pg.Client({ connectionString: db.url });
    admin.on("error", () => undefined);
    await admin.connect();
    await eventually("the durable consumer to exist", () => consumerIdle(nats.url, DURABLE).catch(() => false));
  }, 120_000);
  afterAll(async () => {
    await service?.kill();
    await admin?.end();
    await nats?.destroy();
    await fhir?.stop();
    await db?.drop();
  });

  const sessions = async (appointmentId: string) =>
    (await admin.query("select id from virtual_sessions where tenant_id = $1 and appointment_id = $2", [tenant, appointmentId])).rows;
  const inbox = async (eventId: string) => (await admin.query("select outcome from virtual_care_inbox where event_id = $1", [eventId])).rows;
  // The same key PostgresSessionRepository.lockBackend takes for (tenant, backend).
  const blockRoomAllocation = async () => {
    const blocker = new pg.Client({ connectionString: db.url });
    blocker.on("error", () => undefined);
    await blocker.connect();
    await blocker.query("begin");
    await blocker.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [roomAllocationLockKey(tenant, "limited")]);
    return blocker;
  };
  const serviceIsWaitingInsideItsTransaction = async () => {
    const r = await admin.query("select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted");
    return r.rows[0].n > 0;
  };

  it("when it dies before committing, then the redelivered event is applied once", async () => {
    const booked = appointmentEvent({ tenantId: tenant });
    const blocker = await blockRoomAllocation();
    await deliver(nats.url, booked);
    await eventually("the consumer to be inside its transaction", serviceIsWaitingInsideItsTransaction);
    await service!.kill("SIGKILL");
    await blocker.query("rollback");
    await blocker.end();
    expect(await sessions(booked.appointmentId)).toEqual([]);
    expect(await inbox(booked.id)).toEqual([]);

    service = await ServiceProcess.start(env);
    await eventually("the redelivery to be applied", async () => ((await inbox(booked.id)).length > 0 ? true : undefined));
    await eventually("the consumer to settle", () => consumerIdle(nats.url, DURABLE));
    expect(await sessions(booked.appointmentId)).toHaveLength(1);
    expect(await inbox(booked.id)).toEqual([{ outcome: "applied" }]);
  });

  it("when it dies after committing but before its ack reached NATS, then the redelivery is recognised and not applied again", async () => {
    const booked = appointmentEvent({ tenantId: tenant });
    const blocker = await blockRoomAllocation();
    await deliver(nats.url, booked);
    await eventually("the consumer to be inside its transaction", serviceIsWaitingInsideItsTransaction);
    // NATS goes away: the ack that follows the commit cannot be delivered.
    await nats.stop("SIGKILL");
    await blocker.query("commit");
    await blocker.end();
    await eventually("the effect to commit", async () => ((await sessions(booked.appointmentId)).length === 1 ? true : undefined));
    await service!.kill("SIGKILL");

    await nats.start();
    service = await ServiceProcess.start(env);
    await eventually("the redelivery to be handled", () =>
      service!.logs.some((l) => l.eventId === booked.id && l.result === "duplicate") ? true : undefined,
    30_000);
    await eventually("the consumer to settle", () => consumerIdle(nats.url, DURABLE));
    expect(await sessions(booked.appointmentId)).toHaveLength(1);
    expect(await inbox(booked.id)).toEqual([{ outcome: "applied" }]);
  });
});
