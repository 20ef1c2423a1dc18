import { randomUUID } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { eventually } from "../support/nats.js";
import { TcpProxy } from "../support/tcp-proxy.js";

// Issue 20, items 10 and 11: "busy" is not "down", and a silent database answers at its deadline.
const POOL = 4;
const CONNECT_MS = 1000;
const STATEMENT_MS = 2000;
const CLIENT_MARGIN_MS = 2000; // adapters/postgres/connection.ts
const READINESS_MS = 2000;
// What a loaded 2-core machine may add to a bound before the answer is on the wire.
const MARGIN_MS = 1500;

describe("readiness and the circuit breaker tell a busy database from a down one (database behind a TCP proxy)", () => {
  let proxy: TcpProxy;
  let app: TestApp;
  let locker: pg.PoolClient | null = null;
  const lines: string[] = [];
  const tenant = `busy-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    proxy = new TcpProxy("127.0.0.1", 5432);
    await proxy.start();
    app = await bootApp({
      routeDatabase: (url) => proxy.proxiedUrl(url),
      logStream: { write: (line) => void lines.push(line) },
      env: { LOG_LEVEL: "info", DB_POOL_SIZE: String(POOL), DB_CONNECT_TIMEOUT_MS: String(CONNECT_MS), DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS) },
    });
    await configureTenant(app, tenant);
  });
  afterAll(async () => {
    await unlock();
    proxy?.restore();
    await app?.close();
    await proxy?.stop();
  });

  /** The sessions table locked by its owner (directly, not through the proxy): creates wait on it. */
  const lock = async () => {
    locker = await app.owner.connect();
    await locker.query("begin");
    await locker.query("lock table virtual_sessions in access exclusive mode");
  };
  async function unlock() {
    await locker?.query("rollback").catch(() => undefined);
    locker?.release();
    locker = null;
  }
  const create = async (): Promise<LightMyRequestResponse> =>
    app.request({ method: "POST", url: "/v1/sessions", token: await staffToken(tenant, ["scheduler"]), body: sessionBody({ appointmentId: randomUUID() }) });
  const timed = async <T>(work: Promise<T>) => {
    const started = performance.now();
    const res = await work;
    return { res, ms: performance.now() - started };
  };
  const pool = () => app.service.database.pool!;
  const saidDown = () => lines.some((l) => l.includes("the database is down"));

  it("when every pool client is busy on slow statements, then /readyz stays 200 and the breaker does not open", async () => {
    await lock();
    const creates = Array.from({ length: POOL + 4 }, () => create());
    await eventually("the pool to be saturated", async () => pool().idleCount === 0 && pool().waitingCount > 0, 10_000, 20);
    const ready = await timed(app.request({ method: "GET", url: "/readyz" }));
    expect(ready.res.statusCode, ready.res.body).toBe(200);
    expect(ready.ms).toBeLessThan(READINESS_MS + MARGIN_MS);
    // Those that waited for a pool client past DB_CONNECT_TIMEOUT_MS were refused: the pool was busy.
    await Promise.all(creates);
    await unlock();
    expect(saidDown(), "the breaker took a busy pool for a database down").toBe(false);
    expect((await create()).statusCode).toBe(201);
  });

  it("when open connections are reset while new connections succeed, then the breaker does not open and requests go on at once", async () => {
    await lock();
    const creates = Array.from({ length: POOL }, () => create());
    await eventually("the pool to be busy", async () => pool().idleCount === 0 && pool().totalCount === POOL, 10_000, 20);
    proxy.cut();
    const answers = await Promise.all(creates);
    expect(answers.map((a) => a.statusCode)).toEqual(Array(POOL).fill(503));
    await unlock();
    expect(saidDown(), "the breaker took reset connections for a database down").toBe(false);
    expect((await app.request({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    const again = await Promise.all(Array.from({ length: POOL }, () => create()));
    expect(again.map((a) => a.statusCode)).toEqual(Array(POOL).fill(201));
  });

  it("when the database goes silent, then the first request answers 503 DATABASE_UNAVAILABLE at the statement deadline, and /readyz says DATABASE_UNAVAILABLE", async () => {
    // Open connections in both pools (a read's audit row goes through the system pool).
    await Promise.all(Array.from({ length: POOL }, () => create()));
    await app.request({ method: "GET", url: "/v1/sessions", token: await staffToken(tenant, ["clinician"]) });
    proxy.blackhole();
    const first = await timed(create());
    expect(first.res.statusCode, first.res.body).toBe(503);
    expect(first.res.json().code).toBe("DATABASE_UNAVAILABLE");
    expect(first.ms, "answered at the statement deadline, not after a second wait for the failure's audit row").toBeLessThan(STATEMENT_MS + CLIENT_MARGIN_MS + MARGIN_MS);
    const ready = await timed(app.request({ method: "GET", url: "/readyz" }));
    expect(ready.res.statusCode).toBe(503);
    expect(ready.res.json()).toMatchObject({ status: 503, code: "DATABASE_UNAVAILABLE" });
    expect(ready.res.headers["retry-after"]).toBe("5");
    expect(ready.ms).toBeLessThan(READINESS_MS + MARGIN_MS);
    proxy.restore();
    await eventually("creates to succeed again", async () => (await create()).statusCode === 201, 30_000, 200);
  });
});
