import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { eventually } from "../support/nats.js";

/** /metrics answers an operator's questions about the outbox, the relay, the pool and outside calls. */
describe("service metrics on /metrics (PostgreSQL, in-process FHIR)", () => {
  let app: TestApp;
  let clinician: string;

  beforeAll(async () => {
    app = await bootApp({ env: { ENCOUNTER_RECONCILE_INTERVAL_MS: "300000", RELAY_POLL_INTERVAL_MS: "100" } });
    await configureTenant(app, "clinic-metrics");
    clinician = await staffToken("clinic-metrics", ["clinician"]);
  });
  afterAll(() => app.close());

  const scrape = async () => (await app.request({ method: "GET", url: "/metrics" })).body;
  const value = (text: string, series: string): number | undefined => {
    const line = text.split("\n").find((l) => l.startsWith(series + " ") || l.startsWith(series + "{") && l.includes(series));
    return line === undefined ? undefined : Number(line.split(" ").at(-1));
  };

  it("when a visit ends and the relay drains, then the outbox, relay, pool, Encounter backlog and FHIR call series tell so", async () => {
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId: "pat-m1", providerId: "dr-m" }) });
    const id: string = created.json().id;
    await app.request({ method: "POST", url: `/v1/sessions/${id}/fallback`, token: clinician, body: { reason: "link" } });
    expect((await app.request({ method: "POST", url: `/v1/sessions/${id}/end`, token: clinician })).json().encounterId).toEqual(expect.any(String));

    await eventually("the relay to lead and drain the outbox", async () => {
      const text = await scrape();
      return value(text, "vcs_relay_leader") === 1 && value(text, "vcs_outbox_backlog_events") === 0;
    }, 20_000, 100);
    const text = await scrape();
    expect(value(text, "vcs_outbox_oldest_unpublished_age_seconds")).toBe(0);
    expect(value(text, "vcs_encounter_backlog_sessions")).toBe(0);
    expect(value(text, "vcs_nats_connected")).toBe(0);
    expect(value(text, "vcs_db_pool_waiting_requests")).toBe(0);
    expect(value(text, "vcs_db_pool_connections_idle")).toBeGreaterThan(0);
    expect(text).toMatch(/vcs_external_call_duration_seconds_count\{target="fhir",operation="ensureEncounter",outcome="ok"\} 1/);
  });

  it("when FHIR refuses the Encounter, then the call counts as an error and the session waits in the Encounter backlog", async () => {
    await app.fhir.stop();
    try {
      const created = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId: "pat-m2", providerId: "dr-m" }) });
      const id: string = created.json().id;
      await app.request({ method: "POST", url: `/v1/sessions/${id}/fallback`, token: clinician, body: { reason: "link" } });
      expect((await app.request({ method: "POST", url: `/v1/sessions/${id}/end`, token: clinician })).json().encounterId).toBeNull();
      const text = await scrape();
      expect(value(text, "vcs_encounter_backlog_sessions")).toBe(1);
      expect(text).toMatch(/vcs_external_call_duration_seconds_count\{target="fhir",operation="ensureEncounter",outcome="error"\} 1/);
    } finally {
      await app.fhir.start();
    }
  });
});
