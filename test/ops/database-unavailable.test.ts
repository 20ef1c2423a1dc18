import { randomUUID } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { eventually } from "../support/nats.js";
import { TcpProxy } from "../support/tcp-proxy.js";

// Small bounds so the test is short; the defaults are larger (README, docs/operations.md).
const CONNECT_MS = 1000;
const STATEMENT_MS = 1000;
const REQUEST_MS = 4000;
const READINESS_MS = 2000; // the default
const POOL = 4;
// What a loaded 2-core machine may add to a bound before the answer is on the wire.
const MARGIN_MS = 1500;

/** The answer and how long it took; rejects when none came within `limitMs`. */
async function timed(work: Promise<LightMyRequestResponse>, limitMs: number): Promise<{ res: LightMyRequestResponse; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs);
  });
  try {
    const res = await Promise.race([work, late]);
    return { res, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

describe("PostgreSQL unavailable (in-process service, database behind a TCP proxy)", () => {
  let proxy: TcpProxy;
  let app: TestApp;
  const lines: string[] = [];
  const tenant = `dbdown-${randomUUID().slice(0, 8)}`;
  const patientId = `patient-${randomUUID()}`;

  beforeAll(async () => {
    proxy = new TcpProxy("127.0.0.1", 5432);
    await proxy.start();
    app = await bootApp({
      routeDatabase: (url) => proxy.proxiedUrl(url),
      logStream: { write: (line) => void lines.push(line) },
      env: {
        LOG_LEVEL: "info",
        DB_POOL_SIZE: String(POOL),
        DB_CONNECT_TIMEOUT_MS: String(CONNECT_MS),
        DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      },
    });
    await configureTenant(app, tenant);
  });
  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await proxy?.stop();
  });

  const create = async (limitMs = REQUEST_MS + MARGIN_MS) =>
    timed(app.request({ method: "POST", url: "/v1/sessions", token: await staffToken(tenant, ["scheduler"]), body: sessionBody({ patientId, appointmentId: randomUUID() }) }), limitMs);

  const createsSucceedAgain = async () => {
    await eventually("a create to succeed again", async () => (await create(20_000)).res.statusCode === 201, 30_000, 200);
    // No pool slot was lost to a client that died while checked out: twice the pool, all at once.
    const burst = await Promise.all(Array.from({ length: 2 * POOL }, () => create(20_000)));
    expect(burst.map((b) => b.res.statusCode)).toEqual(Array(2 * POOL).fill(201));
  };

  it("when the database refuses connections, then requests answer 503 DATABASE_UNAVAILABLE with Retry-After, and the log names the cause without query or patient data", async () => {
    proxy.down();
    const { res } = await create();
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.headers["retry-after"]).toBe("5");
    expect(res.json()).toMatchObject({
      status: 503,
      code: "DATABASE_UNAVAILABLE",
      type: "/problems/database-unavailable",
    });
    const list = await timed(app.request({ method: "GET", url: `/v1/sessions?patientId=${patientId}`, token: await staffToken(tenant, ["clinician"]) }), REQUEST_MS + MARGIN_MS);
    expect(list.res.statusCode).toBe(503);
    expect(list.res.json().code).toBe("DATABASE_UNAVAILABLE");

    const failures = lines.map((l) => JSON.parse(l)).filter((l) => l.problem === "DATABASE_UNAVAILABLE");
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const f of failures) {
      expect(f.msg).toBe("request failed: a dependency is unavailable");
      // Class and code of the driver's error, e.g. "Error: Connection terminated unexpectedly".
      expect(f.cause).toMatch(/ECONNRESET|ECONNREFUSED|Connection terminated/);
    }
    const all = lines.join("\n");
    expect(all).not.toContain(patientId);
    expect(all).not.toMatch(/Failed query|insert into|select /i);

    proxy.restore();
    await createsSucceedAgain();
  });

  it("when the database stops answering (packets dropped), then every request and /readyz answer 503 within their bounds, and all works again once it is back", async () => {
    // Fill the pool with connections that will go silent, as after a network partition.
    await Promise.all(Array.from({ length: POOL }, () => create(20_000)));
    proxy.blackhole();

    const [ready, ...creates] = await Promise.all([
      timed(app.request({ method: "GET", url: "/readyz" }), READINESS_MS + MARGIN_MS),
      ...Array.from({ length: POOL + 2 }, () => create()),
    ]);
    expect(ready.res.statusCode).toBe(503);
    expect(ready.ms).toBeLessThan(READINESS_MS + MARGIN_MS);
    for (const { res, ms } of creates) {
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(res.headers["retry-after"]).toBe("5");
      // The database timeouts answer first; the request bound is the backstop.
      expect(["DATABASE_UNAVAILABLE", "REQUEST_TIMEOUT"]).toContain(res.json().code);
      expect(ms).toBeLessThan(REQUEST_MS + MARGIN_MS);
    }

    proxy.restore();
    await createsSucceedAgain();
    expect((await app.request({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
  });

  it("when the database has been found down, then further requests fail fast with 503 DATABASE_UNAVAILABLE instead of waiting out the bounds, and are let through again once a trial succeeds", async () => {
    await Promise.all(Array.from({ length: POOL }, () => create(20_000)));
    proxy.blackhole();
    // The first requests find it out the slow way (connect and read timeouts)...
    await Promise.all(Array.from({ length: POOL + 2 }, () => create()));
    expect(lines.some((l) => l.includes("the database is down; requests fail fast"))).toBe(true);

    // ...the next ones are refused at once; at most one of them is the trial, which may wait.
    const fast = await Promise.all(Array.from({ length: 6 }, () => create()));
    for (const { res } of fast) {
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers["retry-after"]).toBe("5");
      expect(res.json().code).toBe("DATABASE_UNAVAILABLE");
    }
    const quick = fast.filter((f) => f.ms < 500);
    expect(quick.length, fast.map((f) => Math.round(f.ms)).join(", ")).toBeGreaterThanOrEqual(5);
    const ready = await timed(app.request({ method: "GET", url: "/readyz" }), READINESS_MS + MARGIN_MS);
    expect(ready.res.statusCode).toBe(503);

    proxy.restore();
    await createsSucceedAgain();
    expect(lines.some((l) => l.includes("the database answers again"))).toBe(true);
  });
});
