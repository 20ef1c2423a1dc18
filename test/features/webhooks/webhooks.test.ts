import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { sql } from "../../support/join.js";
import { eventually } from "../../support/nats.js";
import { WebhookReceiver } from "../../support/webhook-receiver.js";

const CREATED = "virtualcare.session.created.v1";
const CANCELLED = "virtualcare.session.cancelled.v1";
const DISABLED = "virtualcare.webhook_endpoint.disabled.v1";

/**
 * Standard Webhooks from the outbox (issue 21 item 3), against real PostgreSQL and a receiver that
 * verifies every request with the `standardwebhooks` package. Retries are short here (100 ms up to
 * 1.6 s) so a schedule can run out within the test; the receivers listen on loopback, which
 * WEBHOOK_ALLOW_PRIVATE allows (test/security/webhook-ssrf.test.ts runs without it).
 */
describe("webhooks to a tenant's endpoints (PostgreSQL)", () => {
  let app: TestApp;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    app = await bootApp({
      env: { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_DELAYS_MS: "100,200,400,800,1600", WEBHOOK_POLL_INTERVAL_MS: "50", WEBHOOK_TIMEOUT_MS: "2000" },
    });
  });
  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await app?.close();
  });

  const receiver = async () => {
    const r = new WebhookReceiver();
    receivers.push(r);
    await r.start();
    return r;
  };
  /** Licenses the tenant with one endpoint at `r` and keeps the generated secret in the receiver. */
  const subscribe = async (tenant: string, r: WebhookReceiver, eventTypes = [CREATED, CANCELLED, DISABLED], name = "ehr") => {
    const res = await app.request({
      method: "PUT",
      url: "/v1/tenant-config",
      token: await staffToken(tenant, ["admin", "platform_admin"]),
      body: {
        licensed: true,
        consentRequired: false,
        videoBackends: [{ name: "primary", provider: "jitsi", domain: "meet.example.org", appId: "vcs-test", secret: "secret-for-primary-0123456789abcdef" }],
        webhooks: [{ name, url: r.url, eventTypes }],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    r.secret = res.json().webhooks[0].secret;
    return res;
  };
  const visit = async (tenant: string): Promise<string> => {
    const staff = await staffToken(tenant, ["clinician", "scheduler"]);
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: staff, body: sessionBody() });
    expect(created.statusCode, created.body).toBe(201);
    const id: string = created.json().id;
    expect((await app.request({ method: "POST", url: `/v1/sessions/${id}/cancel`, token: staff, body: { reason: "rebooked" } })).statusCode).toBe(200);
    return id;
  };
  const log = async (tenant: string, query = "") => (await app.request({ method: "GET", url: `/v1/webhooks/deliveries${query}`, token: await staffToken(tenant, ["admin"]) })).json();
  const endpoints = async (tenant: string) => (await app.request({ method: "GET", url: "/v1/webhooks", token: await staffToken(tenant, ["admin"]) })).json().items;
  const eventsOf = (r: WebhookReceiver, sessionId: string) => r.events().filter((e) => (e.data as { sessionId?: string }).sessionId === sessionId);

  it("when an admin adds an endpoint, then its secret is generated and shown once, redacted afterwards, sealed at rest, and the config event names it without URL or secret", async () => {
    const r = await receiver();
    const saved = await subscribe("hooks-config", r);
    expect(r.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(saved.json().webhooks[0]).toEqual({ name: "ehr", url: r.url, eventTypes: [CREATED, CANCELLED, DISABLED], secret: r.secret });
    const read = await app.request({ method: "GET", url: "/v1/tenant-config", token: await staffToken("hooks-config", ["admin"]) });
    const config = read.json() as Record<string, unknown>;
    expect(read.json().webhooks[0].secret).toBe("[REDACTED]");
    const stored = await sql<{ config: string }>(app, "select config::text as config from tenant_configs where tenant_id = 'hooks-config'");
    expect(stored[0]!.config).not.toContain(r.secret.slice(6));
    const [event] = await sql<{ data: { webhooks: unknown } }>(app, "select data from virtual_care_outbox where tenant_id = 'hooks-config' and type = 'virtualcare.tenant_config.updated.v1'");
    expect(event!.data.webhooks).toEqual([{ name: "ehr", eventTypes: [CREATED, CANCELLED, DISABLED] }]);

    // GET → PUT keeps the secret (no new one shown); a given whsec_ value replaces it (rotation).
    const again = await app.request({ method: "PUT", url: "/v1/tenant-config", token: await staffToken("hooks-config", ["admin"]), body: { ...config, licensed: undefined } });
    expect(again.json().webhooks[0].secret).toBe("[REDACTED]");
    const unknownType = await app.request({
      method: "PUT",
      url: "/v1/tenant-config",
      token: await staffToken("hooks-config", ["admin"]),
      body: { ...config, licensed: undefined, webhooks: [{ name: "x", url: r.url, eventTypes: ["audit.virtualcare.session.read"] }] },
    });
    expect(unknownType.statusCode).toBe(400);
  });

  it("when visits are created and cancelled, then each subscribed event reaches the receiver once verified, in the session's order, as its CloudEvent with webhook-id = event id", async () => {
    const r = await receiver();
    await subscribe("hooks-order", r);
    const ids = [await visit("hooks-order"), await visit("hooks-order"), await visit("hooks-order")];
    await eventually("six verified deliveries", () => r.events().length === 6);
    expect(r.received.every((w) => w.verified.ok)).toBe(true);
    for (const id of ids) expect(eventsOf(r, id).map((e) => e.type)).toEqual([CREATED, CANCELLED]);
    const first = r.received[0]!;
    const event = JSON.parse(first.body);
    expect(first.id).toBe(event.id);
    expect(first.contentType).toMatch(/^application\/cloudevents\+json/);
    expect(event).toMatchObject({ specversion: "1.0", source: "/virtual-care", tenantid: "hooks-order" });
    // Like the NATS events, each names the schema of its data on this deployment.
    expect(event.dataschema).toBe(`${app.service.config.publicBaseUrl}/schemas/events/${event.type}`);
    expect(Math.abs(Number(first.timestamp) - Date.now() / 1000)).toBeLessThan(300);
    // Unsubscribed types (billing, audit) never went out.
    expect(r.received.every((w) => [CREATED, CANCELLED].includes(JSON.parse(w.body).type))).toBe(true);
    await eventually("the log to show six delivered", async () => (await log("hooks-order", "?status=delivered")).items.length === 6);
    const logged = (await log("hooks-order")).items;
    expect(logged[0]).toMatchObject({ endpoint: "ehr", status: "delivered", attempts: 1, lastStatus: 200, lastError: null });
    expect(JSON.stringify(logged)).not.toContain("patient-1");
  });

  it("when the receiver answers 500 once, then the same body under the same webhook-id is sent again and delivered on the second attempt", async () => {
    const r = await receiver();
    await subscribe("hooks-retry", r, [CREATED]);
    const failedOnce = new Set<string>();
    r.answer = (w) => (failedOnce.has(w.id) ? 200 : (failedOnce.add(w.id), 500));
    const id = await visit("hooks-retry");
    await eventually("the retry to succeed", async () => (await log("hooks-retry", "?status=delivered")).items.length === 1);
    const attempts = r.received.filter((w) => JSON.parse(w.body).data.sessionId === id);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.id).toBe(attempts[0]!.id);
    expect(attempts[1]!.body).toBe(attempts[0]!.body);
    expect(attempts.every((w) => w.verified.ok)).toBe(true);
    expect((await log("hooks-retry")).items[0]).toMatchObject({ status: "delivered", attempts: 2, lastStatus: 200 });
  });

  it("when the receiver is down while visits happen and comes back, then every event is delivered, none lost", async () => {
    const r = await receiver();
    await subscribe("hooks-outage", r);
    await r.stop();
    const ids = [await visit("hooks-outage"), await visit("hooks-outage")];
    await eventually("attempts to fail while it is down", async () => (await log("hooks-outage")).items.some((d: { lastError: string | null }) => d.lastError === "connection refused"));
    await r.start();
    await eventually("every event once it is back", () => r.events().length === 4, 30_000);
    for (const id of ids) expect(eventsOf(r, id).map((e) => e.type)).toEqual([CREATED, CANCELLED]);
  });

  it("when two tenants have endpoints, then each receiver gets only its own tenant's events", async () => {
    const a = await receiver();
    const b = await receiver();
    await subscribe("hooks-tenant-a", a);
    await subscribe("hooks-tenant-b", b);
    await visit("hooks-tenant-a");
    await visit("hooks-tenant-b");
    await eventually("both tenants' events", () => a.events().length === 2 && b.events().length === 2);
    // A little more time for anything misrouted to arrive too.
    await visit("hooks-tenant-a");
    await eventually("tenant A's next visit", () => a.events().length === 4);
    expect(new Set(a.received.map((w) => JSON.parse(w.body).tenantid))).toEqual(new Set(["hooks-tenant-a"]));
    expect(new Set(b.received.map((w) => JSON.parse(w.body).tenantid))).toEqual(new Set(["hooks-tenant-b"]));
    expect((await log("hooks-tenant-b")).items.every((d: { eventId: string }) => b.received.some((w) => w.id === d.eventId))).toBe(true);
  });

  it("when the receiver fails a delivery's whole schedule, then the endpoint is disabled with an audit entry and an event, later events wait, and enabling it delivers them; the failed one is retried by hand", async () => {
    const tenant = "hooks-failing";
    const r = await receiver();
    await subscribe(tenant, r);
    r.answer = () => 503;
    const first = await visit(tenant);
    await eventually("the endpoint to be disabled", async () => (await endpoints(tenant))[0].status === "disabled", 30_000);
    const [state] = await endpoints(tenant);
    expect(state).toMatchObject({ name: "ehr", status: "disabled", disabledReason: "failing" });
    const audit = await sql(app, "select data from virtual_care_outbox where tenant_id = $1 and type = 'audit.virtualcare.webhook_endpoint.disable'", [tenant]);
    expect(audit).toHaveLength(1);
    const [disabled] = await sql<{ data: Record<string, unknown> }>(app, "select data from virtual_care_outbox where tenant_id = $1 and type = $2", [tenant, DISABLED]);
    expect(disabled!.data).toMatchObject({ endpoint: "ehr", reason: "failing", lastStatus: 503 });
    const failed = (await log(tenant, "?status=failed")).items;
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({ attempts: 6, lastStatus: 503, lastError: "HTTP 503" });

    // While disabled, new events wait for it (nothing is sent).
    r.answer = () => 200;
    const heard = r.received.length;
    const later = await visit(tenant);
    await eventually("the new events to be queued", async () => (await log(tenant, "?status=pending")).items.length >= 2);
    expect(r.received.length).toBe(heard);

    const enabled = await app.request({ method: "POST", url: "/v1/webhooks/ehr/enable", token: await staffToken(tenant, ["admin"]) });
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json().resumed).toBeGreaterThanOrEqual(2);
    await eventually("the waiting events", () => eventsOf(r, later).length === 2);
    expect(eventsOf(r, later).map((e) => e.type)).toEqual([CREATED, CANCELLED]);

    for (const d of (await log(tenant, "?status=failed")).items) {
      const retried = await app.request({ method: "POST", url: `/v1/webhooks/deliveries/${d.id}/retry`, token: await staffToken(tenant, ["admin"]) });
      expect(retried.statusCode, retried.body).toBe(200);
    }
    await eventually("the first visit's events after the retry", () => eventsOf(r, first).length === 2);
    const again = await app.request({ method: "POST", url: `/v1/webhooks/deliveries/${failed[0].id}/retry`, token: await staffToken(tenant, ["admin"]) });
    expect(again.statusCode).toBe(409);
    // The disabled event itself was for this endpoint too, and waited with the rest.
    await eventually("the disabled event", () => r.events().some((e) => e.type === DISABLED));
  });

  it("when the receiver answers 410 Gone, then the endpoint is disabled at once", async () => {
    const tenant = "hooks-gone";
    const r = await receiver();
    await subscribe(tenant, r, [CREATED]);
    r.answer = () => 410;
    await visit(tenant);
    await eventually("the endpoint to be disabled", async () => (await endpoints(tenant))[0].status === "disabled");
    expect((await endpoints(tenant))[0]).toMatchObject({ disabledReason: "gone" });
    expect(r.received).toHaveLength(1);
  });

  it("when someone without the admin role reads the log or enables an endpoint, then 403", async () => {
    const clinician = await staffToken("hooks-config", ["clinician"]);
    expect((await app.request({ method: "GET", url: "/v1/webhooks/deliveries", token: clinician })).statusCode).toBe(403);
    expect((await app.request({ method: "POST", url: "/v1/webhooks/ehr/enable", token: clinician })).statusCode).toBe(403);
    expect((await app.request({ method: "POST", url: "/v1/webhooks/none/enable", token: await staffToken("hooks-config", ["admin"]) })).statusCode).toBe(404);
  });
});
