import { validateResource } from "@medplum/core";
import type { DocumentReference, Encounter, Resource } from "@medplum/fhirtypes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invalidReferences } from "../../src/adapters/fhir/fhir-references.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { multipartBody, samples } from "../support/multipart.js";
import { OpenAiStub } from "../support/openai-stub.js";

/**
 * What the service writes to FHIR, checked by FHIR's own rules: Medplum's R4 validator and the
 * Reference.reference syntax a strict server enforces. Patient and provider ids are FHIR ids at
 * the API (docs/decisions.md), so nothing the API accepts can become an invalid reference.
 */
describe("FHIR resources the service writes", () => {
  const ai = new OpenAiStub();
  let app: TestApp;
  let clinician: string;
  const tenant = "clinic-fhir";

  beforeAll(async () => {
    app = await bootApp({ env: { AI_GATEWAY_URL: await ai.start(), ENCOUNTER_RECONCILE_INTERVAL_MS: "300000" } });
    await configureTenant(app, tenant, { aiSummaryEnabled: true });
    clinician = await staffToken(tenant, ["clinician"]);
  });
  afterAll(async () => {
    await app?.close();
    await ai.stop();
  });
  const post = (url: string, body?: unknown) => app.request({ method: "POST", url, token: clinician, body });

  it("when a visit ends and its AI summary is accepted, then the Encounter and DocumentReference pass Medplum's validator and every reference is well-formed", async () => {
    // The widest id the API takes: 64 characters of the FHIR alphabet, with '.' and '-'.
    const patientId = `pat.${"x".repeat(56)}-01`;
    expect(patientId).toHaveLength(63);
    const created = await post("/v1/sessions", sessionBody({ patientId, providerId: "dr.fhir-1" }));
    expect(created.statusCode, created.body).toBe(201);
    const id: string = created.json().id;
    expect((await post(`/v1/sessions/${id}/fallback`, { reason: "video failed" })).statusCode).toBe(200);
    const ended = await post(`/v1/sessions/${id}/end`);
    expect(ended.json().encounterId).toBeTruthy();
    expect((await post(`/v1/sessions/${id}/ai-summary/transcript`, { text: "Patient: cough for a week." })).statusCode).toBe(202);
    await app.service.workers.aiSummaries.runOnce();
    expect((await post(`/v1/sessions/${id}/ai-summary/accept`, {})).statusCode).toBe(200);

    const encounters = await app.fhir.search<Encounter>("Encounter", { identifier: `urn:virtual-care:session|${id}` });
    const documents = await app.fhir.search<DocumentReference>("DocumentReference", { subject: `Patient/${patientId}` });
    expect(encounters).toHaveLength(1);
    expect(documents).toHaveLength(1);
    // US Core: Encounter.type from us-core-encounter-type, DocumentReference.category clinical-note (issue 21 item 7).
    expect(encounters[0]).toMatchObject({
      type: [{ coding: [{ system: "http://snomed.info/sct", code: "448337001" }] }],
      subject: { reference: `Patient/${patientId}` },
      participant: [{ individual: { reference: "Practitioner/dr.fhir-1" } }],
    });
    expect(documents[0]).toMatchObject({
      category: [{ coding: [{ system: "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", code: "clinical-note" }] }],
      subject: { reference: `Patient/${patientId}` },
      author: [{ reference: "Practitioner/dr.fhir-1" }],
      context: { encounter: [{ reference: `Encounter/${ended.json().encounterId}` }] },
    });
    for (const resource of [...encounters, ...documents] as Resource[]) {
      expect(() => validateResource(resource)).not.toThrow();
      expect(invalidReferences(resource)).toEqual([]);
    }
  });

  it("when a patient or provider id is not a FHIR id, then the API refuses it with 400 before anything reaches FHIR", async () => {
    for (const bad of ["pat_x:1", "p".repeat(65), "pat x"]) {
      const res = await post("/v1/sessions", sessionBody({ patientId: bad }));
      expect(res.statusCode, bad).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json().code).toBe("VALIDATION_FAILED");
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain("/patientId");
    }
    expect((await post("/v1/sessions", sessionBody({ providerId: "dr:1" }))).statusCode).toBe(400);

    const { payload, contentType } = await multipartBody({ patientId: "pat_x:1", providerId: "dr-1", text: "rash" }, [
      { filename: "arm.png", type: "image/png", data: samples.png },
    ]);
    const form = await app.service.app.inject({ method: "POST", url: "/v1/async-visits", headers: { authorization: `Bearer ${clinician}`, "content-type": contentType }, payload });
    expect(form.statusCode).toBe(400);
    expect(form.json().errors).toEqual([{ path: "/patientId", message: "is not a valid id" }]);
  });

  it("when a client writes a resource whose reference is not FHIR syntax, then the FHIR server of the tests refuses it as a strict server would", async () => {
    const encounter: Encounter = {
      resourceType: "Encounter",
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR" },
      subject: { reference: "Patient/pat_x:1" },
    };
    const res = await fetch(`${app.fhir.baseUrl}/Encounter`, {
      method: "POST",
      headers: { "content-type": "application/fhir+json" },
      body: JSON.stringify(encounter),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ resourceType: "OperationOutcome" });
    expect(invalidReferences(encounter)).toEqual([{ path: "Encounter.subject.reference", reference: "Patient/pat_x:1" }]);
  });
});
