import { createServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";

/**
 * A FHIR server that accepts connections and never answers: the Encounter step after an end must
 * wait for it without a database transaction open — no row lock on the session, no pool connection
 * idle in a transaction — so a slow FHIR cannot starve every other route.
 */
describe("Encounter saga while FHIR hangs (PostgreSQL)", () => {
  let app: TestApp;
  let hanging: Server;
  const sockets: Socket[] = [];
  let clinician: string;

  beforeAll(async () => {
    hanging = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    const port = (hanging.address() as { port: number }).port;
    app = await bootApp({ env: { FHIR_BASE_URL: `http://127.0.0.1:${port}/fhir`, ENCOUNTER_RECONCILE_INTERVAL_MS: "300000" } });
    await configureTenant(app, "clinic-hang");
    clinician = await staffToken("clinic-hang", ["clinician"]);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hanging.close(r));
    await app.close();
  });

  it("when FHIR does not answer after an end, then no transaction or row lock is held while waiting, and the session ends without an Encounter", async () => {
    const created = await app.request({ method: "POST", url: "/v1/sessions", token: clinician, body: sessionBody({ patientId: "pat-h1", providerId: "dr-h" }) });
    const id: string = created.json().id;
    expect((await app.request({ method: "POST", url: `/v1/sessions/${id}/fallback`, token: clinician, body: { reason: "link" } })).statusCode).toBe(200);

    const ending = app.request({ method: "POST", url: `/v1/sessions/${id}/end`, token: clinician });
    // Wait until the Encounter request is parked at the hanging FHIR server.
    for (let i = 0; i < 100 && sockets.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sockets.length).toBeGreaterThan(0);

    const observer = new pg.Client({ connectionString: app.db!.url });
    await observer.connect();
    try {
      const idle = await observer.query(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%' and pid <> pg_backend_pid()",
      );
      expect(idle.rows[0].n).toBe(0);
      // The row is free: another writer would not wait behind the FHIR call.
      await observer.query("begin");
      const locked = await observer.query("select id from virtual_sessions where id = $1 for update nowait", [id]);
      expect(locked.rowCount).toBe(1);
      await observer.query("rollback");
    } finally {
      await observer.end();
    }

    // FHIR gives up after its timeout: the visit is ended, the Encounter left to the reconciler.
    const res = await ending;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "ended", encounterId: null });
  });
});
