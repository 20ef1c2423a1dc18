import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { auditActions } from "../../src/platform/audit-actions.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventTypes } from "../../src/domain/events.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { multipartBody, samples } from "../support/multipart.js";
import { OpenAiStub } from "../support/openai-stub.js";
import { eventually, PrivateNats, StreamReader, type StreamRecord } from "../support/nats.js";
import { loadEventCatalog, typesOfProperty } from "../support/event-catalog.js";
import { appointmentEvent, consumerIdle, deliver } from "../support/scheduling.js";

describe("event catalog (docs/asyncapi.yaml) against what the service publishes", () => {
  it("when @asyncapi/parser reads the catalog, then it has no errors or warnings", async () => {
    const { diagnostics } = await loadEventCatalog();
    // Severity 0 = error, 1 = warning (Spectral's scale); hints such as "3.1.0 exists" stay allowed.
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code} ${d.path.join("/")} ${d.message}`)).toEqual([]);
  });

  it("documents every event type in the code as a published channel, and nothing the code does not publish", async () => {
    const catalog = await loadEventCatalog();
    const published = catalog.addresses("send");
    expect(published.filter((a) => !a.startsWith("audit.")).sort()).toEqual(Object.values(EventTypes).sort());
    expect(published).toContain("audit.virtualcare.{action}");
    expect(catalog.addresses("receive").sort()).toEqual(["scheduling.appointment.booked.v1", "scheduling.appointment.cancelled.v1"]);
  });

  it("when the catalog lists the audit trail's actions, then they are exactly the ones the code records", () => {
    const doc = parse(readFileSync("docs/asyncapi.yaml", "utf8"));
    expect([...doc.channels.audit.parameters.action.enum].sort()).toEqual([...auditActions].sort());
    expect([...doc.components.schemas.AuditData.properties.action.enum].sort()).toEqual([...auditActions].sort());
  });

  describe("published events validate against their documented payload (PostgreSQL, own nats-server)", () => {
    let nats: PrivateNats;
    let app: TestApp;
    let streams: StreamReader[];
    const tenant = `catalog-${randomUUID().slice(0, 8)}`;
    const durable = `vcs-catalog-${randomUUID().slice(0, 8)}`;
    const ai = new OpenAiStub();

    beforeAll(async () => {
      nats = await PrivateNats.start();
      streams = [await StreamReader.at(nats.url, "VIRTUAL_CARE"), await StreamReader.at(nats.url, "AUDIT")];
      app = await bootApp({ env: { AI_GATEWAY_URL: await ai.start(), NATS_URL: nats.url, SCHEDULING_CONSUMER_NAME: durable, RELAY_POLL_INTERVAL_MS: "200" } });
      await eventually("the durable consumer to exist", () => consumerIdle(nats.url, durable).catch(() => false));
    });
    afterAll(async () => {
      await app?.close();
      await ai.stop();
      for (const s of streams ?? []) await s.close();
      await nats?.destroy();
    });

    it("when an event consumer asks the service, then it serves the catalog as written, and a schema for published types only", async () => {
      const served = await app.request({ method: "GET", url: "/asyncapi.yaml" });
      expect(served.statusCode).toBe(200);
      expect(served.headers["content-type"]).toMatch(/^application\/yaml/);
      expect(served.body).toBe(readFileSync("docs/asyncapi.yaml", "utf8"));
      expect((await app.request({ method: "GET", url: "/schemas/events/audit.virtualcare.session.end" })).json().required).toContain("action");
      expect((await app.request({ method: "GET", url: "/schemas/events/scheduling.appointment.booked.v1" })).statusCode).toBe(404);
      expect((await app.request({ method: "GET", url: "/schemas/events/virtualcare.nothing.v1" })).statusCode).toBe(404);
    });

    it("when the HTTP document and the catalog describe the same measured kbps, then both say number", async () => {
      const catalog = await loadEventCatalog();
      const openapi = (await app.request({ method: "GET", url: "/openapi.json" })).json();
      const http = (name: string) => typesOfProperty(openapi, name);
      const events = (subject: string, name: string) => typesOfProperty(catalog.payload(subject), name);
      expect(http("fallbackBandwidthKbps")).toEqual(["number"]);
      expect(events("virtualcare.tenant_config.updated.v1", "fallbackBandwidthKbps")).toEqual(["number"]);
      expect(http("measuredKbps")).toEqual(["number"]);
      expect(events("virtualcare.session.fallback_initiated.v1", "measuredKbps")).toEqual(["number"]);
    });

    it("when every kind of command and read runs, then each event on the wire matches the catalog", { timeout: 60_000 }, async () => {
      // Fractions where the wire carries numbers: kbps are measured, not counted.
      await configureTenant(app, tenant, { aiSummaryEnabled: true, fallbackBandwidthKbps: 150.5 });
      const admin = await staffToken(tenant, ["admin"]);
      const clinician = await staffToken(tenant, ["clinician"]);
      const post = (url: string, body?: unknown) => app.request({ method: "POST", url, token: clinician, body });
      expect((await app.request({ method: "GET", url: "/v1/tenant-config", token: admin })).statusCode).toBe(200);

      const a = (await post("/v1/sessions", sessionBody({ appointmentId: `appt-${randomUUID()}` }))).json();
      await app.request({ method: "GET", url: `/v1/sessions/${a.id}`, token: clinician });
      await app.request({ method: "GET", url: "/v1/sessions?patientId=patient-1", token: clinician });
      await app.request({ method: "GET", url: `/v1/sessions/${a.id}/participants`, token: clinician });
      // An invited interpreter is in the session's list, not yet in the waiting room.
      const invited = await post(`/v1/sessions/${a.id}/participants`, { role: "interpreter", displayName: "Ana" });
      expect(invited.statusCode, invited.body).toBe(201);
      const interpreter = invited.json();
      expect(interpreter).toMatchObject({ role: "interpreter", displayName: "Ana", status: "invited" });
      const listed = (await app.request({ method: "GET", url: `/v1/sessions/${a.id}/participants`, token: clinician })).json().items;
      expect(listed.filter((p: { id: string }) => p.id === interpreter.id)).toEqual([interpreter]);
      expect((await post(`/v1/sessions/${a.id}/fallback`, { reason: "low bandwidth", measuredKbps: 80.7 })).statusCode).toBe(200);
      expect((await post(`/v1/sessions/${a.id}/end`)).statusCode).toBe(200);
      const b = (await post("/v1/sessions", sessionBody())).json();
      expect((await post(`/v1/sessions/${b.id}/cancel`, { reason: "patient unwell" })).statusCode).toBe(200);
      expect((await app.request({ method: "POST", url: `/v1/sessions/${b.id}/end`, token: await staffToken(tenant, ["scheduler"]) })).statusCode).toBe(403);

      // Waiting room, admission and removal through their routes.
      const c = (await post("/v1/sessions", sessionBody({ participants: [{ role: "guest", displayName: "G" }] }))).json();
      const patient = c.participants[0].id;
      const joinToken = (await post(`/v1/sessions/${c.id}/participants/${patient}/join-token`)).json().token;
      expect((await app.request({ method: "POST", url: "/v1/join/validate", body: { token: joinToken } })).json().destination).toBe("waiting_room");
      expect((await post(`/v1/sessions/${c.id}/participants/${patient}/admit`)).statusCode).toBe(200);
      // The patient asks for a new link (issue 19): the clinic's notice is an event.
      expect((await app.request({ method: "POST", url: "/v1/join/link-request", headers: { "x-join-token": joinToken } })).statusCode).toBe(202);
      expect((await app.request({ method: "DELETE", url: `/v1/sessions/${c.id}/participants/${c.participants[2].id}`, token: clinician })).statusCode).toBe(200);

      // A store-and-forward visit, and an AI summary accepted after the visit ended.
      const { payload, contentType } = await multipartBody({ patientId: "patient-1", providerId: "dr-1", text: "photo attached" }, [
        { filename: "arm.png", type: "image/png", data: samples.png },
      ]);
      const submitted = await app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { authorization: `Bearer ${clinician}`, "content-type": contentType }, payload });
      expect(submitted.statusCode, submitted.body).toBe(201);
      const replied = await post(`/v1/async-visits/${submitted.json().id}/replies`, { text: "Keep the arm raised; see you Friday." });
      expect(replied.statusCode, replied.body).toBe(201);
      expect((await post(`/v1/sessions/${a.id}/ai-summary/transcript`, { text: "Patient: sore throat since Monday." })).statusCode).toBe(202);
      await app.service.workers.aiSummaries.runOnce();
      expect((await post(`/v1/sessions/${a.id}/ai-summary/accept`, {})).statusCode).toBe(200);

      await app.request({ method: "GET", url: `/v1/sessions/${a.id}`, token: `${admin}x` });
      await deliver(nats.url, appointmentEvent({ tenantId: tenant, data: { appointmentId: "incomplete", tenantId: tenant } }));

      const expected = [
        "virtualcare.tenant_config.updated.v1",
        "virtualcare.session.created.v1",
        "virtualcare.session.fallback_initiated.v1",
        "virtualcare.session.ended.v1",
        "virtualcare.billing.session_completed.v1",
        "virtualcare.session.cancelled.v1",
        "virtualcare.participant.admitted.v1",
        "virtualcare.participant.removed.v1",
        "virtualcare.participant.link_requested.v1",
        "virtualcare.async_visit.submitted.v1",
        "virtualcare.async_visit.replied.v1",
        "virtualcare.ai_summary.accepted.v1",
        "audit.virtualcare.tenant_config.update",
        "audit.virtualcare.session.create",
        "audit.virtualcare.session.read",
        "audit.virtualcare.session.list",
        "audit.virtualcare.participant.list",
        "audit.virtualcare.participant.add",
        "audit.virtualcare.session.fallback",
        "audit.virtualcare.session.end",
        "audit.virtualcare.session.cancel",
        "audit.virtualcare.async_visit.reply",
        "audit.virtualcare.link_request.create",
        "audit.virtualcare.auth.authenticate",
        "audit.virtualcare.scheduling_event.terminate",
      ];
      const ours = (r: StreamRecord) =>
        r.event.tenantid === tenant || (r.event.data.targets as Record<string, string> | undefined)?.claimedTenantId === tenant;
      let missing: string[] = [];
      const seen = await eventually(
        "every expected subject on the wire",
        async () => {
          const records = (await Promise.all(streams.map((s) => s.read()))).flat().filter(ours);
          const subjects = new Set(records.map((r) => r.subject));
          missing = expected.filter((s) => !subjects.has(s));
          return missing.length === 0 ? records : undefined;
        },
        30_000,
        250,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; missing: ${missing.join(", ")}`);
      });

      const catalog = await loadEventCatalog();
      for (const r of seen) {
        expect(catalog.errors(r.subject, r.event), `${r.subject} ${JSON.stringify(r.event.data)}`).toEqual([]);
        expect(r.subject).toBe(r.event.type);
        expect(r.msgId).toBe(r.event.id);
        expect(r.contentType).toBe("application/cloudevents+json; charset=utf-8");
      }
      // Each event names its data's schema, which the service serves and which the data satisfies.
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats.default(ajv);
      const validators = new Map<string, ReturnType<typeof ajv.compile>>();
      for (const r of seen) {
        const url = new URL(r.event.dataschema ?? "missing:");
        expect(url.href).toBe(`${app.service.config.publicBaseUrl}/schemas/events/${r.event.type}`);
        if (!validators.has(url.pathname)) {
          const res = await app.request({ method: "GET", url: url.pathname });
          expect(res.statusCode, url.pathname).toBe(200);
          expect(res.headers["content-type"]).toMatch(/^application\/schema\+json/);
          expect(res.json().$id).toBe(url.href);
          validators.set(url.pathname, ajv.compile(res.json()));
        }
        const validate = validators.get(url.pathname)!;
        expect(validate(r.event.data), `${r.subject}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      }
      expect(validators.size).toBeGreaterThanOrEqual(expected.length);
      // The fractions really travelled: the catalog above accepted 150.5 and 80.7, not rounded values.
      const dataOf = (subject: string) => seen.filter((r) => r.subject === subject).map((r) => r.event.data);
      expect(dataOf("virtualcare.tenant_config.updated.v1")).toEqual([expect.objectContaining({ fallbackBandwidthKbps: 150.5 })]);
      expect(dataOf("virtualcare.session.fallback_initiated.v1")).toEqual([expect.objectContaining({ measuredKbps: 80.7 })]);
      // The invitation is audited once, against the session it changed.
      expect(seen.filter((r) => r.subject === "audit.virtualcare.participant.add").map((r) => r.event.data)).toEqual([
        expect.objectContaining({ action: "participant.add", outcome: "success", targets: { sessionId: a.id } }),
      ]);
    });
  });
});
