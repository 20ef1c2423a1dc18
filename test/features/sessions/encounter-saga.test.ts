import type { Encounter } from "@medplum/fhirtypes";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { createService, type Service } from "../../../src/composition/create-service.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";

const IDENTIFIER = "urn:virtual-care:session";

describe("FHIR Encounter saga (contract §9) against the in-process FHIR server", () => {
  let app: TestApp;
  let clinician: string;

  beforeAll(async () => {
    // The timer stays out of the way (5 min); these tests run the reconciler themselves.
    app = await bootApp({ env: { ENCOUNTER_RECONCILE_INTERVAL_MS: "300000" } });
    await configureTenant(app, "clinic-e");
    clinician = await staffToken("clinic-e", ["clinician"]);
  });
  afterAll(() => app.close());

  /** A visit that ran (as a fallback visit: admit is not on this branch) and is ready to end. */
  const runningVisit = async (patientId = "pat-e1") => {
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId, providerId: "dr-e" }) });
    expect(created.statusCode, created.body).toBe(201);
    const id: string = created.json().id;
    const fb = await app.request({ method: "POST", url: `/v1/sessions/${id}/fallback`, token: clinician, body: { reason: "low bandwidth" } });
    expect(fb.statusCode).toBe(200);
    return id;
  };
  const end = (id: string) => app.request({ method: "POST", url: `/v1/sessions/${id}/end`, token: clinician });
  const read = async (id: string) => (await app.request({ method: "GET", url: `/v1/sessions/${id}`, token: clinician })).json();
  const encountersOf = (id: string) => app.fhir.search<Encounter>("Encounter", { identifier: `${IDENTIFIER}|${id}` });
  const linkAudits = async (id: string) =>
    Number(
      (
        await app.owner.query(
          "select count(*) from virtual_care_outbox where type = 'audit.virtualcare.session.encounter_link' and aggregate_id = $1",
          [id],
        )
      ).rows[0].count,
    );

  it("when a visit ends, then exactly one valid Encounter describes it and the answer carries its id", async () => {
    const id = await runningVisit("pat-e1");
    const res = await end(id);
    expect(res.statusCode).toBe(200);
    const session = res.json();
    const encounters = await encountersOf(id);
    expect(encounters).toHaveLength(1);
    const enc = encounters[0]!;
    expect(session).toMatchObject({ status: "ended", encounterId: enc.id });
    expect(res.headers.etag).toBe(`"${session.version}"`);
    expect(enc).toMatchObject({
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR" },
      subject: { reference: "Patient/pat-e1" },
      participant: [{ individual: { reference: "Practitioner/dr-e" } }],
      identifier: [{ system: IDENTIFIER, value: id }],
      period: { start: session.fallback.initiatedAt, end: session.endedAt },
    });
    expect((await read(id)).encounterId).toBe(enc.id);
  });

  it("when FHIR is down at the end, then the visit still ends with encounterId null, and the reconciler links it once FHIR is back", async () => {
    const id = await runningVisit("pat-e2");
    await app.fhir.stop();
    let down: { linked: number; failed: number };
    try {
      const res = await end(id);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: "ended", encounterId: null });
      down = await app.service.workers.encounterReconciler.runOnce();
    } finally {
      await app.fhir.start();
    }
    expect(down.failed).toBeGreaterThanOrEqual(1);
    expect((await read(id)).encounterId).toBeNull();

    await app.service.workers.encounterReconciler.runOnce();
    const encounters = await encountersOf(id);
    expect(encounters).toHaveLength(1);
    expect((await read(id)).encounterId).toBe(encounters[0]!.id);
    // A second pass finds nothing left to do and creates nothing.
    expect(await app.service.workers.encounterReconciler.runOnce()).toEqual({ linked: 0, failed: 0 });
    expect(await encountersOf(id)).toHaveLength(1);
  });

  describe("with a second replica on the same database", () => {
    let replica: Service;
    beforeAll(async () => {
      // Its timer runs every 100 ms: a third reconciler racing the two explicit runs below.
      replica = await createService(loadConfig({ ...envOf(app), ENCOUNTER_RECONCILE_INTERVAL_MS: "100" }));
    });
    afterAll(() => replica.close());

    it("when replicas reconcile the same backlog at once, then every session gets exactly one Encounter, linked once", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await runningVisit(`pat-race-${i}`));
      await app.fhir.stop();
      try {
        for (const id of ids) expect((await end(id)).json().encounterId).toBeNull();
      } finally {
        await app.fhir.start();
      }
      await Promise.all([app.service.workers.encounterReconciler.runOnce(), replica.workers.encounterReconciler.runOnce()]);
      await vi.waitFor(async () => {
        for (const id of ids) expect((await read(id)).encounterId).not.toBeNull();
      }, { timeout: 10_000, interval: 100 });
      for (const id of ids) {
        const encounters = await encountersOf(id);
        expect(encounters, id).toHaveLength(1);
        expect((await read(id)).encounterId).toBe(encounters[0]!.id);
        expect(await linkAudits(id), id).toBe(1);
      }
    });
  });
});

/** The environment that booted `app`, so a second service joins the same database and FHIR server. */
function envOf(app: TestApp): Record<string, string> {
  const c = app.service.config;
  return {
    PORT: "0",
    DATA_DIR: c.dataDir,
    DATABASE_URL: c.databaseUrl!,
    // The service's role owns nothing; the owner migrates (docs/operations.md, "Database roles").
    MIGRATION_DATABASE_URL: c.migrationDatabaseUrl!,
    AUTH_HS256_SECRET: (c.auth as { secret: string }).secret,
    KMS_MASTER_KEY: c.kmsMasterKey!,
    JOIN_TOKEN_KEYS: c.joinTokenKeys!,
    FHIR_BASE_URL: app.service.fhirBaseUrl,
    LOG_LEVEL: "silent",
  };
}
