import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { eventually, PrivateNats, StreamReader, type StreamRecord } from "../support/nats.js";
import { appointmentEvent, consumerIdle, deliver } from "../support/scheduling.js";
import { StubServer } from "../support/stub-server.js";

/** Issue 11, defect 8: dates that answered 500, and a poison event retried forever. */
describe("dates at the edge of the calendar (PostgreSQL)", () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "dates");
    token = await staffToken("dates", ["scheduler"]);
  });
  afterAll(() => app.close());

  const expect400 = (res: { statusCode: number; json(): any }) => {
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("VALIDATION_FAILED");
  };

  it("a list bound that is year 10000 in UTC is a 400, not a 500", async () => {
    expect400(await app.request({ method: "GET", url: `/v1/sessions?from=${encodeURIComponent("9999-12-31T23:59:59-14:00")}`, token }));
  });

  it("a create whose default end falls in year 10000 is a 400", async () => {
    expect400(await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ scheduledStart: "9999-12-31T23:50:00Z", scheduledEnd: undefined }) }));
  });

  it("a leap second is a 400", async () => {
    expect400(await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ scheduledStart: "2026-12-31T23:59:60Z", scheduledEnd: undefined }) }));
    expect400(await app.request({ method: "GET", url: "/v1/sessions?to=2026-12-31T23:59:60Z", token }));
  });

  it("the last storable minute still works", async () => {
    const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ scheduledStart: "9999-12-31T23:00:00Z", scheduledEnd: "9999-12-31T23:59:59Z" }) });
    expect(res.statusCode).toBe(201);
    expect((await app.request({ method: "GET", url: `/v1/sessions?from=${encodeURIComponent("9999-12-31T00:00:00Z")}`, token })).statusCode).toBe(200);
  });
});

describe("scheduling consumer: poison events (own nats-server)", () => {
  let nats: PrivateNats;
  let app: TestApp;
  let audit: StreamReader;
  let health: StubServer;
  const durable = `vcs-poison-${randomUUID().slice(0, 8)}`;
  const tenant = `poison-${randomUUID().slice(0, 8)}`;
  const down = `down-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    nats = await PrivateNats.start();
    audit = await StreamReader.at(nats.url, "AUDIT");
    health = new StubServer((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    await health.start();
    app = await bootApp({ env: { NATS_URL: nats.url, SCHEDULING_CONSUMER_NAME: durable, SCHEDULING_MAX_DELIVER: "3", RELAY_POLL_INTERVAL_MS: "200" } });
    await configureTenant(app, tenant);
    await configureTenant(app, down, { videoBackends: [{ name: "down", healthUrl: `${health.url}/about/health` }] });
    await eventually("the durable consumer to exist", () => consumerIdle(nats.url, durable).catch(() => false));
  });
  afterAll(async () => {
    await app?.close();
    await health?.stop();
    await audit?.close();
    await nats?.destroy();
  });

  const inboxOf = async (eventId: string) =>
    (await app.owner.query("select outcome from virtual_care_inbox where event_id = $1", [eventId])).rows;
  const terminated = (eventId: string) =>
    eventually(`the termination audit of ${eventId}`, async () => {
      const found = (await audit.read()).filter(
        (r: StreamRecord) => r.subject === "audit.virtualcare.scheduling_event.terminate" && (r.event.data.targets as Record<string, string>).eventId === eventId,
      );
      return found.length > 0 ? found : undefined;
    }, 30_000);

  it("a booking that ends in year 10000 is terminated once, with a reason, not retried", async () => {
    const booked = appointmentEvent({
      tenantId: tenant,
      data: { appointmentId: "appt-y10k", tenantId: tenant, patientId: "p", providerId: "d", start: "9999-12-31T23:50:00Z", visitMode: "virtual" },
    });
    await deliver(nats.url, booked);
    const [record] = await terminated(booked.id);
    expect(record!.event.data.reason).toBe("VALIDATION_FAILED");
    expect(await inboxOf(booked.id)).toEqual([{ outcome: "rejected:VALIDATION_FAILED" }]);
  });

  it("a booking longer than 24 hours is terminated as VALIDATION_FAILED like the API's 400, and creates no session (issue 20)", async () => {
    const booked = appointmentEvent({
      tenantId: tenant,
      data: { appointmentId: "appt-long", tenantId: tenant, patientId: "p", providerId: "d", start: "2026-12-02T10:00:00Z", end: "9999-12-30T00:00:00Z", visitMode: "virtual" },
    });
    await deliver(nats.url, booked);
    const [record] = await terminated(booked.id);
    expect(record!.event.data.reason).toBe("VALIDATION_FAILED");
    expect(await inboxOf(booked.id)).toEqual([{ outcome: "rejected:VALIDATION_FAILED" }]);
    expect((await app.owner.query("select id from virtual_sessions where appointment_id = 'appt-long'")).rows).toEqual([]);
  });

  it("an event that keeps failing is terminated and audited after SCHEDULING_MAX_DELIVER deliveries", async () => {
    const booked = appointmentEvent({ tenantId: down });
    await deliver(nats.url, booked);
    const [record] = await terminated(booked.id);
    expect(record!.event.data.reason).toBe("VIDEO_PROVIDER_UNAVAILABLE");
    expect(await inboxOf(booked.id)).toEqual([{ outcome: "rejected:VIDEO_PROVIDER_UNAVAILABLE" }]);
  });
});
