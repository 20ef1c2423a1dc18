import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { staffToken } from "../support/app.js";
import { eventually } from "../support/nats.js";
import { configureTenantOn, createSessionCall } from "../support/ops.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { ServiceProcess } from "../support/service-process.js";
import { TcpProxy } from "../support/tcp-proxy.js";

describe("database connections cut under load (child process, PostgreSQL behind a TCP proxy)", () => {
  let db: TestDatabase;
  let fhir: EmbeddedFhirServer;
  let proxy: TcpProxy;
  let service: ServiceProcess;
  const tenant = `cut-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    fhir = new EmbeddedFhirServer();
    const fhirUrl = await fhir.start();
    proxy = await TcpProxy.for(db.url);
    service = await ServiceProcess.start({ DATABASE_URL: proxy.proxiedUrl(db.url), FHIR_BASE_URL: fhirUrl, DB_POOL_SIZE: "6" });
    await configureTenantOn(service, tenant);
  });
  afterAll(async () => {
    await service?.kill();
    await proxy?.stop();
    await fhir?.stop();
    await db?.drop();
  });

  it("when every connection is reset again and again during creates, then the process lives on and creates succeed once the database is reachable", async () => {
    const token = await staffToken(tenant, ["scheduler"]);
    const statuses = new Map<string, number>();
    let stop = false;
    let n = 0;
    // Six clients creating back to back keep pool clients checked out (inside transactions) most
    // of the time, which is when an unlistened connection error used to kill the process.
    const workers = Array.from({ length: 6 }, async () => {
      while (!stop) {
        const res = await createSessionCall(service.url, token, `appt-${n++}`, 20_000);
        const key = res.status === 201 ? "201" : `${res.status} ${res.body?.code ?? ""}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (res.status === 0 && !service.running) return;
      }
    });
    await eventually("the first creates to succeed", () => (statuses.get("201") ?? 0) >= 6, 30_000, 20);
    for (let round = 0; round < 8; round++) {
      const accepted = proxy.accepted;
      proxy.cut();
      // The next cut once the clients have made the pool connect again: each round hits connections in use.
      await eventually("the pool to connect again", () => proxy.accepted > accepted, 20_000, 10);
    }
    // A short outage too: connections refused outright for a moment (its length is the point), then back.
    proxy.down();
    await new Promise((r) => setTimeout(r, 500));
    proxy.restore();
    // The clients go on until the database has answered them again.
    const created = statuses.get("201") ?? 0;
    await eventually("a create to succeed after the outage", () => (statuses.get("201") ?? 0) > created, 30_000, 20);
    stop = true;
    await Promise.all(workers);

    expect(service.running, "the service process must survive the cuts").toBe(true);
    // Anything else than 201 during the cuts is a 503 saying the database went away.
    expect([...statuses.keys()].filter((s) => s !== "201" && s !== "503 DATABASE_UNAVAILABLE")).toEqual([]);
    const after = await eventually(
      "a create to succeed once the database is reachable again",
      async () => {
        const res = await createSessionCall(service.url, token, `appt-after-${randomUUID()}`, 20_000);
        return res.status === 201 ? res : undefined;
      },
      20_000,
      200,
    );
    expect(after.status).toBe(201);
    // The pool did not leak the clients that died while checked out: a burst as large as the pool
    // and more all succeed.
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => createSessionCall(service.url, token, `appt-burst-${i}`, 20_000)));
    expect(burst.map((r) => r.status)).toEqual(Array(12).fill(201));
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
