import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { eventually, PrivateNats, StreamReader } from "../support/nats.js";
import { OutboxLoad } from "../support/outbox-load.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { ServiceProcess } from "../support/service-process.js";

describe("outbox relay killed with -9 under load (child process, PostgreSQL, own nats-server)", () => {
  let nats: PrivateNats;
  let db: TestDatabase;
  let fhir: EmbeddedFhirServer;
  let load: OutboxLoad;
  let stream: StreamReader;
  let service: ServiceProcess | null = null;
  const tenant = `crash-${randomUUID().slice(0, 8)}`;

  // The load is written from this process, which signals no relay: the service finds it by polling.
  // At the default 1 s poll the writer could finish before the first poll (it takes well under a
  // second here), and the kill would never come mid-stream.
  beforeAll(async () => {
    nats = await PrivateNats.start();
    db = await createTestDatabase();
    fhir = new EmbeddedFhirServer();
    const fhirUrl = await fhir.start();
    // Synthetic OutboxLoad events carry an ordering counter `n` the catalog rightly does not have.
    stream = await StreamReader.at(nats.url, "VIRTUAL_CARE", { checkCatalog: false });
    service = await ServiceProcess.start({ DATABASE_URL: db.url, NATS_URL: nats.url, FHIR_BASE_URL: fhirUrl, RELAY_BATCH_SIZE: "50", RELAY_POLL_INTERVAL_MS: "50" });
    load = await OutboxLoad.open(db.url);
  });
  afterAll(async () => {
    await service?.kill();
    await load?.close();
    await stream?.close();
    await fhir?.stop();
    await db?.drop();
    await nats?.destroy();
  });

  it("when the service is killed while relaying and restarted, then every committed event is in the stream exactly once", async () => {
    let committed = 0;
    let killedAt = -1;
    const writing = load.write(tenant, 40, 50, 2, () => {
      committed += 2;
    });
    // Kill it mid-stream: some of our events already published, writes still going on.
    await eventually("the relay to publish part of the load", async () => {
      const ours = (await stream.read()).filter((r) => r.event.tenantid === tenant).length;
      return ours >= 200 && committed < 1800 ? true : undefined;
    }, 60_000, 20);
    killedAt = committed;
    await service!.kill("SIGKILL");
    await writing;
    expect(killedAt).toBeLessThan(2000); // the kill happened while events were still being written
    expect(await load.pending(tenant)).toBeGreaterThan(0);

    service = await ServiceProcess.start({ DATABASE_URL: db.url, NATS_URL: nats.url, FHIR_BASE_URL: fhir.baseUrl, RELAY_BATCH_SIZE: "50", RELAY_POLL_INTERVAL_MS: "50" });
    await eventually("the backlog to drain after the restart", async () => (await load.pending(tenant)) === 0, 60_000, 200);

    const ids = await load.committedIds(tenant);
    expect(ids).toHaveLength(2000);
    const inStream = (await stream.read()).filter((r) => r.event.tenantid === tenant);
    const streamIds = inStream.map((r) => r.event.id);
    expect(new Set(streamIds).size).toBe(streamIds.length); // no event twice
    expect([...streamIds].sort()).toEqual([...ids].sort()); // none lost
  });
});
