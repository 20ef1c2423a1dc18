import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../../src/adapters/fhir/embedded-fhir-server.js";
import { DEMO_PATIENTS } from "../../../src/dev/demo.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { TENANT_TAG_SYSTEM } from "../../../src/adapters/fhir/fhir-gateway.js";

const TENANT = "names-clinic";

describe("GET /v1/patients: names from the FHIR server, never stored", () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, TENANT);
    token = await staffToken(TENANT, ["clinician"], "dr-names");
    await app.fhir.create({ resourceType: "Patient", id: "pt-ana", meta: { tag: [{ system: TENANT_TAG_SYSTEM, code: TENANT }] }, name: [{ use: "official", given: ["Ana", "María"], family: "García López" }], birthDate: "1984-03-12" });
    await app.fhir.create({ resourceType: "Patient", id: "pt-anabel", meta: { tag: [{ system: TENANT_TAG_SYSTEM, code: TENANT }] }, name: [{ given: ["Anabel"], family: "Smith" }] });
    await app.fhir.create({ resourceType: "Patient", id: "pt-old-name", meta: { tag: [{ system: TENANT_TAG_SYSTEM, code: TENANT }] }, name: [{ use: "old", given: ["Before"], family: "Marriage" }, { text: "Grace O'Neill" }] });
  });
  afterAll(() => app?.close());

  const get = (url: string, t = token) => app.request({ method: "GET", url, token: t });

  it("when the create form searches a name, then the matching patients come back with name and birth date, every word counting", async () => {
    const ana = await get("/v1/patients?name=ana");
    expect(ana.statusCode).toBe(200);
    expect(ana.json().items.map((p: { id: string }) => p.id).sort()).toEqual(["pt-ana", "pt-anabel"]);
    const both = await get(`/v1/patients?name=${encodeURIComponent("ana garc")}`);
    expect(both.json().items).toEqual([{ id: "pt-ana", name: "Ana María García López", birthDate: "1984-03-12" }]);
    const scheduler = await get("/v1/patients?name=smith", await staffToken(TENANT, ["scheduler"]));
    expect(scheduler.json().items.map((p: { id: string }) => p.id)).toEqual(["pt-anabel"]);
  });

  it("when another tenant searches the same name or asks for the same ids, then it learns nothing of this tenant's patients", async () => {
    await configureTenant(app, "other-clinic");
    await app.fhir.create({ resourceType: "Patient", id: "pt-other-ana", meta: { tag: [{ system: TENANT_TAG_SYSTEM, code: "other-clinic" }] }, name: [{ given: ["Ana"], family: "Other" }] });
    const other = await staffToken("other-clinic", ["clinician"]);
    const search = await get("/v1/patients?name=ana", other);
    expect(search.statusCode).toBe(200);
    expect(search.json().items.map((p: { id: string }) => p.id)).toEqual(["pt-other-ana"]);
    const lookup = await get("/v1/patients?id=pt-ana&id=pt-anabel&id=pt-other-ana", other);
    expect(lookup.json().items.map((p: { id: string }) => p.id)).toEqual(["pt-other-ana"]);
    // And the other way round: this tenant's search does not find the other tenant's Ana.
    expect((await get("/v1/patients?name=ana")).json().items.map((p: { id: string }) => p.id).sort()).toEqual(["pt-ana", "pt-anabel"]);
  });

  it("when a list asks for the names behind its ids, then known ids get their current name and unknown ids are left out", async () => {
    const res = await get("/v1/patients?id=pt-ana&id=pt-old-name&id=pt-unknown");
    expect(res.statusCode).toBe(200);
    const byId = Object.fromEntries(res.json().items.map((p: { id: string; name: string }) => [p.id, p.name]));
    expect(byId).toEqual({ "pt-ana": "Ana María García López", "pt-old-name": "Grace O'Neill" });
  });

  it("when the question gives neither or both of name and id, or a role that may not read visits asks, then a problem, not a 500", async () => {
    expect((await get("/v1/patients")).json().code).toBe("VALIDATION_FAILED");
    expect((await get("/v1/patients?name=ana&id=pt-ana")).statusCode).toBe(400);
    expect((await get("/v1/patients?name=a")).statusCode).toBe(400);
    const platform = await get("/v1/patients?name=ana", await staffToken(TENANT, ["platform_admin"]));
    expect(platform.statusCode).toBe(403);
    expect(platform.json().code).toBe("FORBIDDEN");
  });

  it("when names are read or searched, then each is audited as a read of patient data: ids and counts, never the name typed", async () => {
    await get("/v1/patients?id=pt-anabel");
    await get("/v1/patients?name=garc");
    const rows = await app.owner.query<{ type: string; data: { targets: Record<string, string>; outcome: string } }>(
      "select type, data from virtual_care_outbox where tenant_id = $1 and type like 'audit.virtualcare.patient.%' order by seq",
      [TENANT],
    );
    const reads = rows.rows.filter((r) => r.type === "audit.virtualcare.patient.names.read").map((r) => r.data.targets.patientIds);
    expect(reads).toContain("pt-anabel");
    const searches = rows.rows.filter((r) => r.type === "audit.virtualcare.patient.search");
    expect(searches.length).toBeGreaterThan(0);
    expect(searches.at(-1)!.data).toMatchObject({ outcome: "success", targets: { matches: "1" } });
    expect(JSON.stringify(rows.rows)).not.toMatch(/garc|García/i);
  });

  it("when the FHIR server is down, then names answer 503 PATIENT_DIRECTORY_UNAVAILABLE and a visit is still created by id", async () => {
    await app.fhir.stop();
    try {
      const names = await get("/v1/patients?id=pt-never-read");
      expect(names.statusCode).toBe(503);
      expect(names.json().code).toBe("PATIENT_DIRECTORY_UNAVAILABLE");
      expect((await get("/v1/patients?name=ana")).json().code).toBe("PATIENT_DIRECTORY_UNAVAILABLE");
      const created = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody({ patientId: "pt-ana" }) });
      expect(created.statusCode).toBe(201);
      expect(created.json().patientId).toBe("pt-ana");
    } finally {
      await app.fhir.start();
    }
  });
});

describe("the quick start's embedded FHIR server", () => {
  it("holds the fictional demo patients, found by name", async () => {
    const fhir = new EmbeddedFhirServer({ lazy: true, seed: DEMO_PATIENTS });
    const base = await fhir.start();
    try {
      const bundle = await (await fetch(`${base}/Patient?name=garc`)).json();
      expect(bundle.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(["demo-ana-garcia"]);
      const all = await (await fetch(`${base}/Patient?_count=50`)).json();
      expect(all.entry).toHaveLength(DEMO_PATIENTS.length);
    } finally {
      await fhir.stop();
    }
  });
});
