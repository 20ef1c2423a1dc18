import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { suitePool } from "../../support/postgres.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { healthyJitsi, StubServer } from "../../support/stub-server.js";

describe("create-session checks, in contract order (PostgreSQL)", () => {
  let app: TestApp;
  let sql: pg.Pool;
  const healthy = healthyJitsi();
  const sick = new StubServer((_req, res) => {
    res.writeHead(503);
    res.end();
  });

  beforeAll(async () => {
    app = await bootApp();
    sql = suitePool(app.db!.url, 2);
    await healthy.start();
    await sick.start();
  });
  afterAll(async () => {
    await sql.end();
    await healthy.stop();
    await sick.stop();
    await app.close();
  });

  const rowsOf = async (tenant: string) =>
    Number((await sql.query("select count(*) from virtual_sessions where tenant_id = $1", [tenant])).rows[0].count);
  const create = async (tenant: string, body: Record<string, unknown> = sessionBody()) =>
    app.request({ method: "POST", url: "/v1/sessions", token: await staffToken(tenant, ["scheduler"]), body });

  it("when the tenant has no config at all, then 403 MODULE_NOT_LICENSED with a licensing hint", async () => {
    const res = await create("no-config-tenant");
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: "MODULE_NOT_LICENSED" });
    expect(res.json().licensingUrl).toMatch(/^https:\/\//);
  });

  it("when the tenant is configured but not licensed, then 403 MODULE_NOT_LICENSED and no row", async () => {
    await configureTenant(app, "unlicensed", { licensed: false });
    const res = await create("unlicensed");
    expect(res.json().code).toBe("MODULE_NOT_LICENSED");
    expect(await rowsOf("unlicensed")).toBe(0);
  });

  it("when consent is required and none is on file, then 403 CONSENT_REQUIRED; once an active Consent exists, 201", async () => {
    await configureTenant(app, "consenting", { consentRequired: true });
    const body = sessionBody({ patientId: "pat-consent-1" });
    const refused = await create("consenting", body);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe("CONSENT_REQUIRED");
    expect(await rowsOf("consenting")).toBe(0);

    // An inactive consent does not count.
    await app.fhir.create({
      resourceType: "Consent",
      status: "inactive",
      scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "treatment" }] },
      category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
      patient: { reference: "Patient/pat-consent-1" },
      policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
    });
    expect((await create("consenting", body)).json().code).toBe("CONSENT_REQUIRED");

    await app.fhir.create({
      resourceType: "Consent",
      status: "active",
      scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "treatment" }] },
      category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
      patient: { reference: "Patient/pat-consent-1" },
      policyRule: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN" }] },
    });
    const ok = await create("consenting", body);
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it("when the licence is missing, the licence answers first even if consent is missing too", async () => {
    await configureTenant(app, "both-missing", { licensed: false, consentRequired: true });
    expect((await create("both-missing")).json().code).toBe("MODULE_NOT_LICENSED");
  });

  it("when the only backend is unhealthy, then 503 VIDEO_PROVIDER_UNAVAILABLE with a diagnostic and no row", async () => {
    await configureTenant(app, "sick-video", { videoBackends: [{ name: "only", healthUrl: `${sick.url}/about/health` }] });
    const res = await create("sick-video");
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe("VIDEO_PROVIDER_UNAVAILABLE");
    expect(res.json().diagnostic.backends[0]).toMatchObject({ backend: "only", healthy: false });
    expect(await rowsOf("sick-video")).toBe(0);
    const outbox = await sql.query(
      "select count(*) from virtual_care_outbox where tenant_id = $1 and type like 'virtualcare.session.%'",
      ["sick-video"],
    );
    expect(Number(outbox.rows[0].count)).toBe(0);
  });

  it("when the health URL does not answer at all, then the backend counts as unhealthy", async () => {
    await configureTenant(app, "dead-video", { videoBackends: [{ name: "gone", healthUrl: "http://127.0.0.1:9/about/health" }] });
    const res = await create("dead-video");
    expect(res.json().code).toBe("VIDEO_PROVIDER_UNAVAILABLE");
  });

  it("when the primary is full, then the visit goes to the secondary; when both are full, 503 PROVIDER_QUOTA_EXCEEDED", async () => {
    await configureTenant(app, "busy", {
      videoBackends: [
        { name: "primary", healthUrl: `${healthy.url}/about/health`, maxConcurrentRooms: 2 },
        { name: "secondary", healthUrl: `${healthy.url}/about/health`, maxConcurrentRooms: 1 },
      ],
    });
    const backends: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await create("busy", sessionBody({ patientId: `p-${i}` }));
      expect(res.statusCode, res.body).toBe(201);
      backends.push(res.json().video.backend);
    }
    expect(backends).toEqual(["primary", "primary", "secondary"]);
    const full = await create("busy");
    expect(full.statusCode).toBe(503);
    expect(full.json().code).toBe("PROVIDER_QUOTA_EXCEEDED");
    expect(await rowsOf("busy")).toBe(3);

    // A visit at another time does not compete for the same rooms.
    const later = await create("busy", sessionBody({ scheduledStart: "2026-12-02T10:00:00.000Z", scheduledEnd: "2026-12-02T10:30:00.000Z" }));
    expect(later.json().video.backend).toBe("primary");
  });

  it("when creates race for the last free room, then exactly one gets it", async () => {
    await configureTenant(app, "race-rooms", { videoBackends: [{ name: "tiny", maxConcurrentRooms: 1 }] });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => create("race-rooms", sessionBody({ patientId: `r-${i}` }))));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 503).every((r) => r.json().code === "PROVIDER_QUOTA_EXCEEDED")).toBe(true);
    expect(await rowsOf("race-rooms")).toBe(1);
  });

  it("when the primary is unhealthy but the secondary is healthy, then the secondary hosts the visit", async () => {
    await configureTenant(app, "failover", {
      videoBackends: [
        { name: "primary", healthUrl: `${sick.url}/about/health` },
        { name: "secondary", healthUrl: `${healthy.url}/about/health` },
      ],
    });
    const res = await create("failover");
    expect(res.statusCode).toBe(201);
    expect(res.json().video.backend).toBe("secondary");
  });

  it("when more participants are listed than the tenant allows, then 422 MAX_PARTICIPANTS_EXCEEDED and no row", async () => {
    await configureTenant(app, "small", { maxParticipants: 3 });
    const res = await create(
      "small",
      sessionBody({ participants: [{ role: "guest", displayName: "A" }, { role: "guest", displayName: "B" }] }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe("MAX_PARTICIPANTS_EXCEEDED");
    expect(await rowsOf("small")).toBe(0);
  });

  it("when an appointment already has a session, then a second create answers 409 naming it", async () => {
    await configureTenant(app, "appointments");
    const first = await create("appointments", sessionBody({ appointmentId: "appt-1" }));
    expect(first.statusCode).toBe(201);
    const second = await create("appointments", sessionBody({ appointmentId: "appt-1", patientId: "other" }));
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: "APPOINTMENT_ALREADY_LINKED", sessionId: first.json().id });
    // Another tenant may use the same appointment id.
    await configureTenant(app, "appointments-2");
    expect((await create("appointments-2", sessionBody({ appointmentId: "appt-1" }))).statusCode).toBe(201);
  });

  it("when scheduledEnd is not after scheduledStart, then 400 VALIDATION_FAILED", async () => {
    await configureTenant(app, "times");
    const res = await create("times", sessionBody({ scheduledEnd: "2026-12-01T09:00:00.000Z" }));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe("VALIDATION_FAILED");
  });
});

describe("video health URLs and the operator's network (SSRF guard)", () => {
  it("when private addresses are not allowed, then a loopback or metadata health URL is never fetched and counts as unhealthy", async () => {
    const app = await bootApp({ env: { VIDEO_HEALTH_ALLOW_PRIVATE: "false" } });
    const internal = healthyJitsi();
    await internal.start();
    try {
      for (const [tenant, url] of [
        ["ssrf-loopback", `${internal.url}/about/health`],
        ["ssrf-metadata", "http://169.254.169.254/latest/meta-data/"],
        ["ssrf-private", "http://10.1.2.3/about/health"],
      ] as const) {
        await configureTenant(app, tenant, { videoBackends: [{ name: "b", healthUrl: url }] });
        const res = await app.request({ method: "POST", url: "/v1/sessions", token: await staffToken(tenant, ["scheduler"]), body: sessionBody() });
        expect(res.statusCode, tenant).toBe(503);
        expect(res.json().code).toBe("VIDEO_PROVIDER_UNAVAILABLE");
        expect(res.json().diagnostic.backends[0].detail).toBe("unhealthy");
      }
      expect(internal.hits).toBe(0);
    } finally {
      await internal.stop();
      await app.close();
    }
  });

  it("when a health URL carries credentials, then the config is refused (it would leak into events)", async () => {
    const app = await bootApp();
    try {
      await expect(configureTenant(app, "creds", { videoBackends: [{ name: "b", healthUrl: "https://user:pw@meet.example.org/about/health" }] })).rejects.toThrow(/400/);
    } finally {
      await app.close();
    }
  });
});
