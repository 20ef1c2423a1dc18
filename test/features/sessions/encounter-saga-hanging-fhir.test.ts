import { createServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../../support/app.js";
import { eventually } from "../../support/eventually.js";
import { OpenAiStub } from "../../support/openai-stub.js";

/**
 * A FHIR server that accepts connections and never answers: the Encounter step after an end must
 * wait for it without a database transaction open — no row lock on the session, no pool connection
 * idle in a transaction — so a slow FHIR cannot starve every other route.
 */
describe("Encounter saga and chart push while FHIR hangs (PostgreSQL)", () => {
  const ai = new OpenAiStub();
  let app: TestApp;
  let hanging: Server;
  const sockets: Socket[] = [];
  /** First line of each request the hanging server received (it opens connections ahead of use). */
  const received: string[] = [];
  let clinician: string;

  beforeAll(async () => {
    hanging = createServer((socket) => {
      sockets.push(socket);
      socket.on("data", (chunk) => received.push(chunk.toString("latin1").split("\r\n")[0] ?? ""));
    });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    const port = (hanging.address() as { port: number }).port;
    const aiUrl = await ai.start();
    app = await bootApp({ env: { FHIR_BASE_URL: `http://127.0.0.1:${port}/fhir`, AI_GATEWAY_URL: aiUrl, ENCOUNTER_RECONCILE_INTERVAL_MS: "300000" } });
    await configureTenant(app, "clinic-hang", { aiSummaryEnabled: true });
    clinician = await staffToken("clinic-hang", ["clinician"]);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hanging.close(r));
    await app.close();
    await ai.stop();
  });

  /** Neither an open transaction nor a lock on `table`'s row `id` while FHIR is being waited for. */
  const assertNothingHeld = async (table: string, id: string, request: string) => {
    await eventually(`${request} to reach the FHIR server`, () => received.includes(request), 5_000, 20);
    const observer = new pg.Client({ connectionString: app.db!.url });
    await observer.connect();
    try {
      // The request path's pool (vcs-api): the background workers' own short transactions (the
      // webhook dispatcher's claims, the relay's) run on other connections and may be caught
      // between two statements; they are named in the message if one is ever the request's.
      const idle = await observer.query(
        "select application_name as app, left(query, 80) as query from pg_stat_activity where datname = current_database() and state like 'idle in transaction%' and pid <> pg_backend_pid()",
      );
      const held = (idle.rows as Array<{ app: string; query: string }>).filter((r) => r.app === "vcs-api");
      expect(held, JSON.stringify(idle.rows)).toEqual([]);
      // The row is free: another writer would not wait behind the FHIR call.
      await observer.query("begin");
      const locked = await observer.query(`select id from ${table} where id = $1 for update nowait`, [id]);
      expect(locked.rowCount).toBe(1);
      await observer.query("rollback");
    } finally {
      await observer.end();
    }
  };

  it("when FHIR does not answer after an end, then no transaction or row lock is held while waiting, and the session ends without an Encounter", async () => {
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId: "pat-h1", providerId: "dr-h" }) });
    const id: string = created.json().id;
    expect((await app.request({ method: "POST", url: `/v1/sessions/${id}/fallback`, token: clinician, body: { reason: "link" } })).statusCode).toBe(200);

    const ending = app.request({ method: "POST", url: `/v1/sessions/${id}/end`, token: clinician });
    await assertNothingHeld("virtual_sessions", id, "POST /fhir/Encounter HTTP/1.1");

    // FHIR gives up after its timeout: the visit is ended, the Encounter left to the reconciler.
    const res = await ending;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "ended", encounterId: null });
  });

  it("when FHIR does not answer while an accepted summary is pushed to the chart, then nothing is held while waiting and the push is retried later", async () => {
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId: "pat-h2", providerId: "dr-h" }) });
    const id: string = created.json().id;
    await app.request({ method: "POST", url: `/v1/sessions/${id}/fallback`, token: clinician, body: { reason: "link" } });
    await app.request({ method: "POST", url: `/v1/sessions/${id}/end`, token: clinician });
    expect((await app.request({ method: "POST", url: `/v1/sessions/${id}/ai-summary/transcript`, token: clinician, body: { text: "Patient: cough." } })).statusCode).toBe(202);
    await app.service.workers.aiSummaries.runOnce();
    const draft = (await app.request({ method: "GET", url: `/v1/sessions/${id}/ai-summary`, token: clinician })).json();
    expect(draft.status).toBe("ready");

    const accepting = app.request({ method: "POST", url: `/v1/sessions/${id}/ai-summary/accept`, token: clinician, body: {} });
    await assertNothingHeld("ai_summaries", draft.id, "POST /fhir/DocumentReference HTTP/1.1");
    expect((await accepting).statusCode).toBe(200);
    // The decision stands; the chart push waits for its retry time.
    const after = (await app.request({ method: "GET", url: `/v1/sessions/${id}/ai-summary`, token: clinician })).json();
    expect(after).toMatchObject({ status: "accepted", documentReferenceId: null, lastError: "FHIR_UNAVAILABLE" });
  });
});
