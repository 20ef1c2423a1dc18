import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";

// Issue 20, item 14: the Encounter retry batch is a setting (it was a fixed 50 per pass).
describe("ENCOUNTER_RECONCILE_BATCH: how many pending Encounters one reconciler pass links", () => {
  let app: TestApp;
  let clinician: string;
  const BATCH = 2;

  beforeAll(async () => {
    // The timer stays out of the way (5 min); the test runs the passes itself.
    app = await bootApp({ env: { ENCOUNTER_RECONCILE_INTERVAL_MS: "300000", ENCOUNTER_RECONCILE_BATCH: String(BATCH) } });
    await configureTenant(app, "clinic-batch");
    clinician = await staffToken("clinic-batch", ["clinician"]);
  });
  afterAll(() => app?.close());

  /** A visit that ran (as a fallback visit) and ended while FHIR was down: its Encounter is pending. */
  const endedWithoutEncounter = async (patientId: string) => {
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId, providerId: "dr-b" }) });
    expect(created.statusCode, created.body).toBe(201);
    const id: string = created.json().id;
    expect((await app.request({ method: "POST", url: `/v1/sessions/${id}/fallback`, token: clinician, body: { reason: "low bandwidth" } })).statusCode).toBe(200);
    const ended = await app.request({ method: "POST", url: `/v1/sessions/${id}/end`, token: clinician });
    expect(ended.json()).toMatchObject({ status: "ended", encounterId: null });
    return id;
  };

  it("when the default is read, then a pass may link 500 sessions (docs/operations.md: a backlog reconciled within 5 minutes)", () => {
    expect(loadConfig({}).encounterReconcileBatch).toBe(500);
    expect(() => loadConfig({ ENCOUNTER_RECONCILE_BATCH: "0" })).toThrow(/ENCOUNTER_RECONCILE_BATCH/);
  });

  it("when a backlog is larger than the batch, then one pass links the batch and the next pass the rest", async () => {
    await app.fhir.stop();
    try {
      for (let i = 0; i < BATCH + 1; i++) await endedWithoutEncounter(`pat-batch-${i}`);
    } finally {
      await app.fhir.start();
    }
    expect(await app.service.workers.encounterReconciler.runOnce()).toEqual({ linked: BATCH, failed: 0 });
    expect(await app.service.workers.encounterReconciler.runOnce()).toEqual({ linked: 1, failed: 0 });
  });
});
