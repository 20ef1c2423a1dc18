import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { staffToken } from "../support/app.js";
import { eventually } from "../support/nats.js";
import { call, configureTenantOn, createSessionCall } from "../support/ops.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { ServiceProcess } from "../support/service-process.js";

/**
 * SIGTERM as Kubernetes sends it: the replica leaves the load balancer (readiness 503) at once but
 * keeps serving for the drain period, then closes in order and exits 0 — every step in the log.
 */
describe("a replica told to stop (SIGTERM, child process on PostgreSQL)", () => {
  let db: TestDatabase;
  let fhir: EmbeddedFhirServer;
  let service: ServiceProcess;
  const tenant = "t-shutdown";

  beforeAll(async () => {
    db = await createTestDatabase();
    fhir = new EmbeddedFhirServer();
    await fhir.start();
    service = await ServiceProcess.start({ DATABASE_URL: db.url, FHIR_BASE_URL: fhir.baseUrl, SHUTDOWN_DRAIN_MS: "2000", SHUTDOWN_TIMEOUT_MS: "15000" });
    await configureTenantOn(service, tenant);
  });
  afterAll(async () => {
    await service?.kill();
    await fhir?.stop();
    await db?.drop();
  });

  it("when it has started, then one log line says version, mode and targets without secrets, and each request logs one line", async () => {
    const started = service.logs.find((l) => l.msg === "started");
    expect(started).toMatchObject({ version: expect.any(String), mode: "production", fhir: expect.stringContaining("127.0.0.1") });
    expect(String(started?.database)).toContain("/vcs_test_");
    const line = JSON.stringify(started);
    expect(line).not.toContain(process.env.PGPASSWORD ?? "no-password-set");
    expect(line).not.toContain("test-staff-secret");

    const before = service.logs.length;
    const res = await fetch(`${service.url}/healthz`);
    expect(res.status).toBe(200);
    // A later request's line marks the end: every line the /healthz request wrote came before it.
    const urlOf = (l: Record<string, unknown>) => (l.req as { url?: string } | undefined)?.url;
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    await eventually("the /readyz request's log line", () => service.logs.slice(before).some((l) => urlOf(l) === "/readyz"), 10_000, 20);
    const lines = service.logs.slice(before).filter((l) => urlOf(l) === "/healthz");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "request", res: { statusCode: 200 }, ms: expect.any(Number) });
  });

  it("when SIGTERM arrives, then readiness turns 503 at once, requests are still served while draining, and the process exits 0 after closing in order", async () => {
    const token = await staffToken(tenant, ["scheduler"]);
    // fetch keeps its connection alive, as a load balancer does.
    const before = await call(`${service.url}/v1/sessions`, { headers: { authorization: `Bearer ${token}` } });
    expect(before.status).toBe(200);

    const exited = service.signalAndWait("SIGTERM");
    // Readiness is 503 before this line is written (cli.ts): from then on, at once.
    await eventually("the drain to begin", () => service.logs.some((l) => l.msg === "shutdown: readiness is 503; draining"), 10_000, 20);
    const ready = await call(`${service.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.contentType).toContain("application/problem+json");
    expect(ready.body.code).toBe("SERVICE_SHUTTING_DOWN");

    // Still serving during the drain: a write commits, and the answer tells the client to reconnect.
    const created = await createSessionCall(service.url, token, "appt-during-drain");
    expect(created.status).toBe(201);
    const listed = await fetch(`${service.url}/v1/sessions`, { headers: { authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("connection")).toBe("close");
    await listed.text();

    expect(await exited).toBe(0);
    // By their log time, as below: under load a line can reach stdout after a later one (seen
    // in a full-suite run: "shutdown: done" read before "shutdown: drain over; closing").
    const times = ["shutdown: readiness is 503; draining", "shutdown: drain over; closing", "shutdown: closed", "shutdown: done"].map((m) =>
      Math.min(...service.logs.filter((l) => l.msg === m).map((l) => Number(l.time))),
    );
    expect(times.every(Number.isFinite), JSON.stringify(times)).toBe(true);
    expect([...times].sort((a, b) => a - b), JSON.stringify(times)).toEqual(times);
    // In the order they happened, by their log time: stdout may interleave a line late under load,
    // and two steps closed in the same millisecond tie (seen on Node 24), so the check is that the
    // times never go backwards along the expected order, not the lines' arrival order.
    const order = ["HTTP server", "outbox relay and scheduling consumer", "periodic workers", "webhook dispatcher", "session change feed", "read audit and change signals", "database pool"];
    const closedAt = new Map(service.logs.filter((l) => l.msg === "shutdown: closed").map((l) => [String(l.step), Number(l.time)]));
    const shutdownLines = JSON.stringify(service.logs.filter((l) => String(l.msg).startsWith("shutdown")));
    expect([...closedAt.keys()].sort(), shutdownLines).toEqual([...order].sort());
    const stepTimes = order.map((step) => closedAt.get(step)!);
    expect([...stepTimes].sort((a, b) => a - b), shutdownLines).toEqual(stepTimes);

    // Nothing was lost: the session created while draining is in the database.
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const rows = await client.query("select count(*)::int as n from virtual_sessions where appointment_id = 'appt-during-drain'");
    await client.end();
    expect(rows.rows[0].n).toBe(1);
  });
});
