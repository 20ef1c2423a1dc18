import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { consentFor } from "../../support/fhir-resources.js";

describe("consent on FHIR decides whether a visit may be created (contract §7)", () => {
  let app: TestApp;
  let scheduler: string;

  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "clinic-c", { consentRequired: true });
    scheduler = await staffToken("clinic-c", ["scheduler"]);
    await app.fhir.create(consentFor("pat-consented"));
    await app.fhir.create(consentFor("pat-withdrawn", "inactive"));
  });
  afterAll(() => app.close());

  const create = (patientId: string) =>
    app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody({ patientId }) });
  const sessionsOf = async (patientId: string) =>
    (await app.request({ method: "GET", url: `/v1/sessions?patientId=${patientId}`, token: scheduler })).json().items;

  it("when an active Consent is on file for the patient, then the session is created", async () => {
    const res = await create("pat-consented");
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().patientId).toBe("pat-consented");
  });

  it("when no Consent is on file, then 403 CONSENT_REQUIRED and no session exists", async () => {
    const res = await create("pat-unknown");
    expect(res.statusCode).toBe(403);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ code: "CONSENT_REQUIRED", status: 403 });
    expect(await sessionsOf("pat-unknown")).toEqual([]);
  });

  it("when the patient's only Consent is inactive, then 403 CONSENT_REQUIRED", async () => {
    const res = await create("pat-withdrawn");
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe("CONSENT_REQUIRED");
  });

  it("when the tenant does not require consent, then a patient without Consent can be booked", async () => {
    await configureTenant(app, "clinic-no-consent", { consentRequired: false });
    const token = await staffToken("clinic-no-consent", ["scheduler"]);
    const res = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ patientId: "pat-unknown" }) });
    expect(res.statusCode).toBe(201);
  });

  it("when the FHIR server is down, then the create fails closed with 503 CONSENT_CHECK_UNAVAILABLE and no row", async () => {
    const before = (await sessionsOf("pat-consented")).length;
    await app.fhir.stop();
    try {
      const res = await create("pat-consented");
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: "CONSENT_CHECK_UNAVAILABLE", status: 503 });
    } finally {
      await app.fhir.start();
    }
    expect(await sessionsOf("pat-consented")).toHaveLength(before);
  });
});
