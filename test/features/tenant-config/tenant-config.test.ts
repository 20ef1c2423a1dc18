import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, staffToken, type TestApp } from "../../support/app.js";

const SECRET = "jitsi-app-secret-Do-Not-Leak-42";

const backend = (overrides: Record<string, unknown> = {}) => ({
  name: "primary",
  provider: "jitsi",
  domain: "meet.clinic.example",
  appId: "clinic-app",
  secret: SECRET,
  healthUrl: "https://meet.clinic.example/about/health",
  maxConcurrentRooms: 20,
  ...overrides,
});

describe("tenant config (PostgreSQL)", () => {
  let app: TestApp;
  let admin: string;
  let platform: string;

  beforeAll(async () => {
    app = await bootApp();
    admin = await staffToken("cfg", ["admin"]);
    platform = await staffToken("cfg", ["admin", "platform_admin"]);
  });
  afterAll(() => app.close());

  const put = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request({ method: "PUT", url: "/v1/tenant-config", token, body, headers });

  it("when a tenant has no config yet, then GET shows the defaults at version 0, unlicensed", async () => {
    const res = await app.request({ method: "GET", url: "/v1/tenant-config", token: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      tenantId: "cfg",
      version: 0,
      licensed: false,
      maxParticipants: 6,
      waitingRoomEnabled: true,
      consentRequired: true,
      joinTokenTtlSeconds: 3600,
      fallbackBandwidthKbps: 150,
      aiSummaryEnabled: false,
      videoBackends: [],
      // The clinic's identity on the patient's pages: none until set.
      branding: { displayName: null, logoUrl: null, accentColor: null, contactPhone: null, contactUrl: null },
      // Standard Webhooks receivers (issue 21): none until set.
      webhooks: [],
    });
  });

  it("when an admin (not platform admin) tries to license the tenant, then 403 and nothing is stored", async () => {
    const res = await put(admin, { licensed: true, videoBackends: [backend()] });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe("FORBIDDEN");
    expect((await app.request({ method: "GET", url: "/v1/tenant-config", token: admin })).json().version).toBe(0);
  });

  it("when a secret is stored, then it never comes back and is not in the database in plaintext", async () => {
    const res = await put(platform, { licensed: true, maxParticipants: 8, videoBackends: [backend()] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ version: 1, licensed: true, maxParticipants: 8 });
    expect(res.json().videoBackends[0].secret).toBe("[REDACTED]");
    expect(res.body).not.toContain(SECRET);
    const read = await app.request({ method: "GET", url: "/v1/tenant-config", token: admin });
    expect(read.body).not.toContain(SECRET);
    expect(read.json().videoBackends[0]).toMatchObject({ name: "primary", secret: "[REDACTED]", maxConcurrentRooms: 20 });

    const pool = app.owner;
    const dump = await pool.query("select config::text as c from tenant_configs");
    expect(dump.rows.map((r) => r.c).join("\n")).not.toContain(SECRET);
    const events = await pool.query("select type, data::text as d from virtual_care_outbox where tenant_id = 'cfg'");
    expect(events.rows.map((r) => r.d).join("\n")).not.toContain(SECRET);
    expect(events.rows.map((r) => r.type)).toContain("virtualcare.tenant_config.updated.v1");
    const updated = events.rows.find((r) => r.type === "virtualcare.tenant_config.updated.v1");
    expect(updated.d).not.toContain("REDACTED");
    expect(JSON.parse(updated.d).videoBackends[0]).not.toHaveProperty("secret");
  });

  it("when a PUT omits a backend's secret, then the stored secret is kept (and still not plaintext)", async () => {
    const before = (await app.owner.query("select config from tenant_configs where tenant_id = 'cfg'")).rows[0].config;
    const { secret: _omit, ...withoutSecret } = backend();
    const res = await put(admin, { videoBackends: [withoutSecret] }, { "if-match": '"1"' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ version: 2, licensed: true, maxParticipants: 6 });
    const after = (await app.owner.query("select config from tenant_configs where tenant_id = 'cfg'")).rows[0].config;
    expect(after.videoBackends[0].secretEnvelope).toBe(before.videoBackends[0].secretEnvelope);
  });

  it("when a new backend comes without a secret, then 400 naming the field", async () => {
    const { secret: _omit, ...noSecret } = backend({ name: "secondary" });
    const res = await put(admin, { videoBackends: [backend(), noSecret] });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe("/videoBackends/1/secret");
  });

  it("when values break the contract's ranges, then 400 VALIDATION_FAILED and nothing changes", async () => {
    const bad = [
      { maxParticipants: 51, videoBackends: [backend()] },
      { maxParticipants: 1, videoBackends: [backend()] },
      { joinTokenTtlSeconds: 30, videoBackends: [backend()] },
      { videoBackends: [] },
      { videoBackends: [backend(), backend({ name: "b" }), backend({ name: "c" })] },
      { videoBackends: [backend({ provider: "zoom" })] },
      { videoBackends: [backend({ domain: "not a host" })] },
      { videoBackends: [backend(), backend()] },
      { videoBackends: [backend({ healthUrl: "ftp://x.example/health" })] },
      { videoBackends: [backend()], surprise: true },
    ];
    for (const body of bad) {
      const res = await put(admin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().code).toBe("VALIDATION_FAILED");
    }
    expect((await app.request({ method: "GET", url: "/v1/tenant-config", token: admin })).json().version).toBe(2);
  });

  it("when If-Match is stale, then 409 with the current version", async () => {
    const res = await put(admin, { videoBackends: [backend()] }, { "if-match": '"1"' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "OPTIMISTIC_LOCK_CONFLICT", currentVersion: 2 });
  });

  it("when a clinician or scheduler asks for the config, then 403", async () => {
    for (const role of ["clinician", "scheduler"] as const) {
      const t = await staffToken("cfg", [role]);
      expect((await app.request({ method: "GET", url: "/v1/tenant-config", token: t })).statusCode).toBe(403);
      expect((await put(t, { videoBackends: [backend()] })).statusCode).toBe(403);
    }
  });

  it("when a platform admin withdraws the licence, then creating sessions stops", async () => {
    const res = await put(platform, { licensed: false, videoBackends: [backend()] });
    expect(res.json().licensed).toBe(false);
    const create = await app.request({
      method: "POST",
      url: "/v1/sessions",
      token: await staffToken("cfg", ["scheduler"]),
      body: { patientId: "p", providerId: "d", scheduledStart: "2026-12-01T10:00:00Z" },
    });
    expect(create.json().code).toBe("MODULE_NOT_LICENSED");
  });
});
