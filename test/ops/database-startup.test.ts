import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { eventually } from "../support/nats.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { ServiceProcess } from "../support/service-process.js";
import { TcpProxy } from "../support/tcp-proxy.js";

describe("a service started while PostgreSQL does not answer (child process, database behind a TCP proxy)", () => {
  let db: TestDatabase;
  let fhir: EmbeddedFhirServer;
  let proxy: TcpProxy;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    fhir = new EmbeddedFhirServer();
    await fhir.start();
    proxy = await TcpProxy.for(db.url);
  });
  afterAll(async () => {
    for (const s of services) await s.kill();
    await proxy?.stop();
    await fhir?.stop();
    await db?.drop();
  });

  const start = async (env: Record<string, string> = {}) => {
    const s = await ServiceProcess.start(
      { DATABASE_URL: proxy.proxiedUrl(db.url), FHIR_BASE_URL: fhir.baseUrl, DB_CONNECT_TIMEOUT_MS: "1000", ...env },
      { waitReady: false },
    );
    services.push(s);
    return s;
  };
  const waiting = (s: ServiceProcess) => s.logs.filter((l) => l.msg === "waiting for the database");

  it("when the database drops packets at start, then the service logs what it waits for, and listens once the database answers", async () => {
    proxy.blackhole();
    const service = await start();
    // Each try gives up after the connect timeout and says so, naming host, port and database only.
    await eventually("the service to log that it waits for the database", () => waiting(service).length >= 2, 30_000, 100);
    const line = waiting(service)[0]!;
    expect(line.database).toBe(`127.0.0.1:${proxy.port}/${db.name}`);
    expect(line.error).toMatch(/timeout/);
    expect(typeof line.retryInMs).toBe("number");
    expect(service.logs.some((l) => l.msg === "connecting to the database")).toBe(true);
    expect(service.running).toBe(true);

    proxy.restore();
    await service.waitReady(30_000);
    expect(service.logs.some((l) => l.msg === "the database answers")).toBe(true);
  });

  it("when the database does not answer within DB_STARTUP_TIMEOUT_MS, then the service stops with exit code 1 and says why", async () => {
    proxy.blackhole();
    const service = await start({ DB_STARTUP_TIMEOUT_MS: "3000" });
    await eventually("the service to give up", () => !service.running, 30_000, 100);
    expect(service.exitCode).toBe(1);
    expect(service.stderr).toContain(`failed to start: the database at 127.0.0.1:${proxy.port}/${db.name} did not answer within 3000 ms`);
    proxy.restore();
  });
});
