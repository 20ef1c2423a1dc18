import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EventTypes } from "../../src/domain/events.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { multipartBody, samples } from "../support/multipart.js";
import { OpenAiStub } from "../support/openai-stub.js";
import { eventually, PrivateNats, StreamReader, type StreamRecord } from "../support/nats.js";
import { appointmentEvent, consumerIdle, deliver } from "../support/scheduling.js";

interface Channel {
  address: string;
  messages: Record<string, { $ref: string }>;
}
const doc = parse(readFileSync("docs/asyncapi.yaml", "utf8")) as {
  asyncapi: string;
  channels: Record<string, Channel>;
  operations: Record<string, { action: "send" | "receive"; channel: { $ref: string } }>;
};
const channelOf = (ref: string) => doc.channels[ref.replace("#/channels/", "")]!;
const addresses = (action: "send" | "receive") =>
  Object.values(doc.operations)
    .filter((o) => o.action === action)
    .map((o) => channelOf(o.channel.$ref).address);

describe("event catalog (docs/asyncapi.yaml) against what the service publishes", () => {
  it("documents every event type in the code as a published channel, and nothing the code does not publish", () => {
    expect(doc.asyncapi).toBe("3.0.0");
    const published = addresses("send");
    expect(published.filter((a) => !a.startsWith("audit.")).sort()).toEqual(Object.values(EventTypes).sort());
    expect(published).toContain("audit.virtualcare.{action}");
    expect(addresses("receive").sort()).toEqual(["scheduling.appointment.booked.v1", "scheduling.appointment.cancelled.v1"]);
  });

  describe("published events validate against their documented payload (PostgreSQL, own nats-server)", () => {
    let nats: PrivateNats;
    let app: TestApp;
    let streams: StreamReader[];
    const tenant = `catalog-${randomUUID().slice(0, 8)}`;
    const durable = `vcs-catalog-${randomUUID().slice(0, 8)}`;
    const ai = new OpenAiStub();
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(doc as object, "asyncapi");
    const validators = new Map<string, ValidateFunction>();
    const validatorFor = (subject: string): ValidateFunction => {
      const channel = Object.values(doc.channels).find((c) =>
        c.address.includes("{") ? subject.startsWith(c.address.slice(0, c.address.indexOf("{"))) : c.address === subject,
      );
      if (!channel) throw new Error(`no channel documents subject ${subject}`);
      const ref = Object.values(channel.messages)[0]!.$ref;
      if (!validators.has(ref)) validators.set(ref, ajv.compile({ $ref: `asyncapi${ref}/payload` }));
      return validators.get(ref)!;
    };

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

    it("when every kind of command and read runs, then each event on the wire matches the catalog", { timeout: 60_000 }, async () => {
      await configureTenant(app, tenant, { aiSummaryEnabled: true });
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
      expect((await post(`/v1/sessions/${a.id}/fallback`, { reason: "low bandwidth", measuredKbps: 80 })).statusCode).toBe(200);
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
      expect((await app.request({ method: "DELETE", url: `/v1/sessions/${c.id}/participants/${c.participants[2].id}`, token: clinician })).statusCode).toBe(200);

      // A store-and-forward visit, and an AI summary accepted after the visit ended.
      const { payload, contentType } = await multipartBody({ patientId: "patient-1", providerId: "dr-1", text: "photo attached" }, [
        { filename: "arm.png", type: "image/png", data: samples.png },
      ]);
      const submitted = await app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { authorization: `Bearer ${clinician}`, "content-type": contentType }, payload });
      expect(submitted.statusCode, submitted.body).toBe(201);
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
        "virtualcare.async_visit.submitted.v1",
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

      for (const r of seen) {
        const validate = validatorFor(r.subject);
        expect(validate(r.event) ? [] : validate.errors, `${r.subject} ${JSON.stringify(r.event.data)}`).toEqual([]);
        expect(r.subject).toBe(r.event.type);
        expect(r.msgId).toBe(r.event.id);
        expect(r.contentType).toBe("application/cloudevents+json; charset=utf-8");
      }
      // The invitation is audited once, against the session it changed.
      expect(seen.filter((r) => r.subject === "audit.virtualcare.participant.add").map((r) => r.event.data)).toEqual([
        expect.objectContaining({ action: "participant.add", outcome: "success", targets: { sessionId: a.id } }),
      ]);
    });
  });
});
