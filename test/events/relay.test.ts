import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresUnitOfWork } from "../../src/adapters/postgres/repositories/unit-of-work.js";
import { systemClock } from "../../src/composition/system-clock.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { eventually, PrivateNats, StreamReader, type StreamRecord } from "../support/nats.js";

describe("outbox relay to NATS JetStream (PostgreSQL, own nats-server)", () => {
  let nats: PrivateNats;
  let app: TestApp;
  let events: StreamReader;
  let audit: StreamReader;
  const tenant = `relay-${randomUUID().slice(0, 8)}`;
  const otherTenant = `relay-other-${randomUUID().slice(0, 8)}`;
  const mine = (r: StreamRecord) => r.event.tenantid === tenant || r.event.tenantid === otherTenant;

  beforeAll(async () => {
    nats = await PrivateNats.start();
    events = await StreamReader.at(nats.url, "VIRTUAL_CARE");
    audit = await StreamReader.at(nats.url, "AUDIT");
    app = await bootApp({ env: { NATS_URL: nats.url, RELAY_POLL_INTERVAL_MS: "200" } });
    await configureTenant(app, tenant);
    await configureTenant(app, otherTenant);
  });
  afterAll(async () => {
    await app?.close();
    await events?.close();
    await audit?.close();
    await nats?.destroy();
  });

  const published = async (reader: StreamReader, pick: (r: StreamRecord) => boolean, what: string) =>
    eventually(what, async () => {
      const found = (await reader.read()).filter(pick);
      return found.length > 0 ? found : undefined;
    });

  it("when a session is created, then session.created reaches VIRTUAL_CARE as a structured CloudEvent keyed by its id", async () => {
    const token = await staffToken(tenant, ["scheduler"]);
    const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ appointmentId: "appt-relay-1" }) });
    expect(res.statusCode).toBe(201);
    const sessionId = res.json().id;
    const [record] = await published(
      events,
      (r) => mine(r) && r.event.type === "virtualcare.session.created.v1" && r.event.data.sessionId === sessionId,
      "session.created in VIRTUAL_CARE",
    );
    expect(record!.subject).toBe("virtualcare.session.created.v1");
    expect(record!.msgId).toBe(record!.event.id);
    expect(record!.contentType).toContain("application/cloudevents+json");
    expect(record!.event).toMatchObject({
      specversion: "1.0",
      source: "/virtual-care",
      subject: "virtualcare.session.created.v1",
      tenantid: tenant,
      datacontenttype: "application/json",
      data: { sessionId, appointmentId: "appt-relay-1", patientId: "patient-1", providerId: "dr-1" },
    });
    // The outbox row behind it is marked published, under the same id (the relay marks the batch
    // once JetStream acknowledged it, so a consumer may see the message a moment before the mark).
    await eventually("the outbox row marked published", async () => {
      const row = await app.owner.query("select published_at from virtual_care_outbox where id = $1", [record!.event.id]);
      return row.rows[0]?.published_at !== null && row.rows[0]?.published_at !== undefined;
    });

    const [auditRecord] = await published(
      audit,
      (r) => mine(r) && r.subject === "audit.virtualcare.session.create" && !!r.event.data.targets && (r.event.data.targets as Record<string, string>).sessionId === sessionId,
      "the create's audit entry in AUDIT",
    );
    expect(auditRecord!.event.data).toMatchObject({
      actor: { kind: "staff", id: "user-1" },
      tenantId: tenant,
      action: "session.create",
      outcome: "success",
    });
    expect(typeof auditRecord!.event.data.time).toBe("string");
    // Ids only: no clinical content or names in an audit entry.
    expect(JSON.stringify(auditRecord!.event.data)).not.toContain("patient-1");
  });

  it("when a transaction that wrote outbox rows rolls back, then none of them is published", async () => {
    const uow = new PostgresUnitOfWork(app.service.database.db, systemClock);
    const rolledBack = randomUUID();
    const committed = randomUUID();
    // Shaped as the catalog documents a cancellation: every event read from the stream is checked against it.
    const event = (id: string, sessionId = randomUUID()) => ({
      id,
      type: "virtualcare.session.cancelled.v1" as const,
      tenantId: tenant,
      aggregateType: "session" as const,
      aggregateId: sessionId,
      data: { sessionId, reason: "rollback probe", participants: [] },
    });
    await expect(
      uow.run(tenant, async (tx) => {
        await tx.outbox.add([event(rolledBack)]);
        throw new Error("the change failed after writing its events");
      }),
    ).rejects.toThrow("the change failed");
    await uow.run(tenant, (tx) => tx.outbox.add([event(committed)]));
    // The committed row came after the rolled-back one; once it is in the stream, the relay has passed that point.
    await published(events, (r) => r.event.id === committed, "the committed probe event");
    const all = await events.read();
    expect(all.filter((r) => r.event.id === rolledBack)).toEqual([]);
    const rows = await app.owner.query("select count(*)::int as n from virtual_care_outbox where id = $1", [rolledBack]);
    expect(rows.rows[0].n).toBe(0);
  });

  it("when staff reach another tenant's session or lack the role, then the denied attempt is audited", async () => {
    const theirs = await app.request({
      method: "POST",
      url: "/v1/sessions",
      token: await staffToken(otherTenant, ["scheduler"]),
      body: sessionBody(),
    });
    const theirId = theirs.json().id;
    const nosy = await staffToken(tenant, ["clinician"], "nosy-clinician");
    const read = await app.request({ method: "GET", url: `/v1/sessions/${theirId}`, token: nosy });
    expect(read.statusCode).toBe(404);
    const scheduler = await staffToken(otherTenant, ["scheduler"], "their-scheduler");
    const end = await app.request({ method: "POST", url: `/v1/sessions/${theirId}/end`, token: scheduler });
    expect(end.statusCode).toBe(403);

    const denied = await eventually("both denials in AUDIT", async () => {
      const found = (await audit.read()).filter(
        (r) => mine(r) && r.event.data.outcome === "denied" && (r.event.data.targets as Record<string, string>)?.sessionId === theirId,
      );
      return found.length >= 2 ? found : undefined;
    });
    expect(denied.map((r) => [r.subject, r.event.tenantid, (r.event.data.actor as { id: string }).id, r.event.data.reason])).toEqual([
      ["audit.virtualcare.session.read", tenant, "nosy-clinician", "NOT_FOUND"],
      ["audit.virtualcare.session.end", otherTenant, "their-scheduler", "FORBIDDEN"],
    ]);
  });

  it("when a request has no token or a forged one, then the 401 is audited under the unauthenticated pseudo-tenant with what the token claimed", async () => {
    const forged = (await staffToken(tenant, ["admin"], "mallory")).replace(/.{6}$/, "AAAAAA");
    const probe = randomUUID();
    const bad = await app.request({ method: "GET", url: `/v1/sessions/${probe}`, token: forged });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe("UNAUTHENTICATED");
    const none = await app.request({ method: "POST", url: `/v1/sessions/${probe}/cancel`, body: { reason: "x" } });
    expect(none.statusCode).toBe(401);

    const refusals = await eventually("both 401s in AUDIT", async () => {
      const found = (await audit.read()).filter(
        (r) => r.subject === "audit.virtualcare.auth.authenticate" && r.event.tenantid === "_unauthenticated",
      );
      const ours = found.filter(
        (r) =>
          (r.event.data.targets as Record<string, string>).claimedTenantId === tenant ||
          (r.event.data.targets as Record<string, string>).route === "POST /v1/sessions/:id/cancel",
      );
      return ours.length >= 2 ? ours : undefined;
    });
    expect(refusals.map((r) => r.event.data.targets)).toEqual(
      expect.arrayContaining([
        // The first denial of an address carries that address (issue 20, 7d): who to look at.
        { route: "GET /v1/sessions/:id", claimedTenantId: tenant, claimedSubject: "mallory", source: "127.0.0.1" },
        { route: "POST /v1/sessions/:id/cancel", source: "127.0.0.1" },
      ]),
    );
    for (const r of refusals) expect(r.event.data).toMatchObject({ outcome: "denied", reason: "UNAUTHENTICATED", actor: { kind: "anonymous" } });
  });
});
