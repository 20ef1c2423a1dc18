import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, type TestApp } from "../../support/app.js";
import { eventually, PrivateNats, StreamReader, type StreamRecord } from "../../support/nats.js";
import { appointmentEvent, BOOKED, CANCELLED, consumerIdle, deliver } from "../../support/scheduling.js";
import { StubServer } from "../../support/stub-server.js";

/**
 * On a nats-server of its own: on a shared one, any other service consuming SCHEDULING would
 * handle (and audit, under our tenant) the events this suite publishes.
 */
describe("scheduling consumer: appointment events create and cancel sessions (PostgreSQL, own nats-server)", () => {
  let nats: PrivateNats;
  let app: TestApp;
  let audit: StreamReader;
  let events: StreamReader;
  let health: StubServer;
  let healthy = true;
  const durable = `vcs-test-${randomUUID().slice(0, 8)}`;
  const tenant = `sched-${randomUUID().slice(0, 8)}`;
  const flakyTenant = `sched-flaky-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    nats = await PrivateNats.start();
    audit = await StreamReader.at(nats.url, "AUDIT");
    events = await StreamReader.at(nats.url, "VIRTUAL_CARE");
    health = new StubServer((_req, res) => {
      res.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
      res.end("{}");
    });
    await health.start();
    app = await bootApp({ env: { NATS_URL: nats.url, SCHEDULING_CONSUMER_NAME: durable, RELAY_POLL_INTERVAL_MS: "200", LOG_LEVEL: process.env.DEBUG_LOG ?? "silent" } });
    await configureTenant(app, tenant);
    await configureTenant(app, flakyTenant, { videoBackends: [{ name: "flaky", healthUrl: `${health.url}/about/health` }] });
    await eventually("the durable consumer to exist", () => consumerIdle(nats.url, durable).catch(() => false));
  });
  afterAll(async () => {
    await app?.close();
    await health?.stop();
    await audit?.close();
    await events?.close();
    await nats?.destroy();
  });

  const idle = () => eventually("the consumer to finish", () => consumerIdle(nats.url, durable), 30_000, 100);
  const query = async (sql: string, params: unknown[]) => (await app.owner.query(sql, params)).rows;
  const sessionsOf = (tenantId: string, appointmentId: string) =>
    query("select id, status, patient_id, provider_id, scheduled_start, cancel_reason from virtual_sessions where tenant_id = $1 and appointment_id = $2", [tenantId, appointmentId]);
  const inboxOf = (eventId: string) => query("select outcome from virtual_care_inbox where source = '/scheduling' and event_id = $1", [eventId]);
  const terminations = (eventId: string) =>
    eventually(`the termination audit of ${eventId}`, async () => {
      const found = (await audit.read()).filter(
        (r: StreamRecord) => r.subject === "audit.virtualcare.scheduling_event.terminate" && (r.event.data.targets as Record<string, string>).eventId === eventId,
      );
      return found.length > 0 ? found : undefined;
    });

  it("when the same booked virtual appointment arrives five times, then exactly one session exists for it", async () => {
    const booked = appointmentEvent({ tenantId: tenant });
    await deliver(nats.url, booked, 5);
    await idle();
    const sessions = await sessionsOf(tenant, booked.appointmentId);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ status: "scheduled", patient_id: "patient-7", provider_id: "dr-7" });
    expect(new Date(sessions[0].scheduled_start).toISOString()).toBe("2026-12-02T10:00:00.000Z");
    expect(await inboxOf(booked.id)).toEqual([{ outcome: "applied" }]);
    const created = await eventually("session.created in VIRTUAL_CARE", async () => {
      const found = (await events.read()).filter((r) => r.subject === "virtualcare.session.created.v1" && r.event.data.appointmentId === booked.appointmentId);
      return found.length > 0 ? found : undefined;
    });
    expect(created).toHaveLength(1);
  });

  it("when a cancelled appointment arrives (twice), then its session is cancelled once", async () => {
    const booked = appointmentEvent({ tenantId: tenant });
    await deliver(nats.url, booked);
    const cancelled = appointmentEvent({ tenantId: tenant, type: CANCELLED, appointmentId: booked.appointmentId });
    await deliver(nats.url, cancelled, 2);
    await idle();
    const [session] = await sessionsOf(tenant, booked.appointmentId);
    expect(session).toMatchObject({ status: "cancelled", cancel_reason: "appointment cancelled in scheduling" });
    expect(await inboxOf(cancelled.id)).toEqual([{ outcome: "applied" }]);
  });

  it("when a booked appointment is not virtual, then no session is created and the event is recorded as ignored", async () => {
    const booked = appointmentEvent({ tenantId: tenant, visitMode: "in_person" });
    await deliver(nats.url, booked);
    await idle();
    expect(await sessionsOf(tenant, booked.appointmentId)).toEqual([]);
    expect(await inboxOf(booked.id)).toEqual([{ outcome: "ignored" }]);
  });

  it("when events can never succeed, then each is terminated with its reason audited, and the events behind them are still applied", async () => {
    const unknownTenant = appointmentEvent({ tenantId: `nobody-${randomUUID().slice(0, 8)}` });
    const first = appointmentEvent({ tenantId: tenant });
    const secondBooking = appointmentEvent({ tenantId: tenant, appointmentId: first.appointmentId });
    const missingFields = appointmentEvent({ tenantId: tenant, data: { appointmentId: "x", tenantId: tenant } });
    const notJson = { type: BOOKED, body: "{ this is not json" };
    // A patient id FHIR could not name (`Patient/pat_x:1` is no valid reference): refused like the API refuses it.
    const notFhirId = appointmentEvent({
      tenantId: tenant,
      data: { appointmentId: "appt-fhir", tenantId: tenant, patientId: "pat_x:1", providerId: "dr-7", start: "2026-12-02T10:00:00.000Z", visitMode: "virtual" },
    });
    const behind = appointmentEvent({ tenantId: tenant });
    for (const e of [unknownTenant, first, secondBooking, missingFields, notJson, notFhirId, behind]) await deliver(nats.url, e);
    await idle();

    expect(await sessionsOf(tenant, behind.appointmentId)).toHaveLength(1);
    expect(await sessionsOf(tenant, first.appointmentId)).toHaveLength(1);
    expect(await inboxOf(unknownTenant.id)).toEqual([{ outcome: "rejected:MODULE_NOT_LICENSED" }]);
    expect(await inboxOf(secondBooking.id)).toEqual([{ outcome: "rejected:APPOINTMENT_ALREADY_LINKED" }]);
    expect(await inboxOf(missingFields.id)).toEqual([{ outcome: "rejected:VALIDATION_FAILED" }]);
    expect(await inboxOf(notFhirId.id)).toEqual([{ outcome: "rejected:VALIDATION_FAILED" }]);
    expect(await sessionsOf(tenant, "appt-fhir")).toEqual([]);
    const [linkedAudit] = await terminations(secondBooking.id);
    expect(linkedAudit!.event.tenantid).toBe(tenant);
    expect(linkedAudit!.event.data).toMatchObject({
      actor: { kind: "system", id: "scheduling-consumer" },
      outcome: "denied",
      reason: "APPOINTMENT_ALREADY_LINKED",
      targets: { eventId: secondBooking.id, appointmentId: first.appointmentId },
    });
    const [unlicensedAudit] = await terminations(unknownTenant.id);
    expect(unlicensedAudit!.event.data).toMatchObject({ reason: "MODULE_NOT_LICENSED" });
    const [malformedAudit] = await terminations(missingFields.id);
    expect(malformedAudit!.event.data).toMatchObject({ reason: "VALIDATION_FAILED" });
    // The unparsable one has no id to quote; its termination is still audited and logged.
    const unparsable = (await audit.read()).filter(
      (r) => r.subject === "audit.virtualcare.scheduling_event.terminate" && r.event.tenantid === "_unknown" && (r.event.data.targets as Record<string, string>).eventId === "",
    );
    expect(unparsable.length).toBeGreaterThan(0);
  });

  it("when the video backend is down at first, then the booked event is retried with backoff and applied once it is back", async () => {
    healthy = false;
    const hitsBefore = health.hits;
    const booked = appointmentEvent({ tenantId: flakyTenant });
    await deliver(nats.url, booked);
    await eventually("two failed attempts", () => health.hits - hitsBefore >= 2, 30_000);
    expect(await sessionsOf(flakyTenant, booked.appointmentId)).toEqual([]);
    expect(await inboxOf(booked.id)).toEqual([]);
    healthy = true;
    await eventually("the session to be created", async () => ((await sessionsOf(flakyTenant, booked.appointmentId)).length === 1 ? true : undefined), 60_000, 200);
    await idle();
    expect(await sessionsOf(flakyTenant, booked.appointmentId)).toHaveLength(1);
    expect(await inboxOf(booked.id)).toEqual([{ outcome: "applied" }]);
  });
});
