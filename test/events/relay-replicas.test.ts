import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { eventually, PrivateNats, StreamReader } from "../support/nats.js";
import { OutboxLoad } from "../support/outbox-load.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { ServiceProcess } from "../support/service-process.js";

describe("three relay replicas on one database (child processes, PostgreSQL, own nats-server)", () => {
  let nats: PrivateNats;
  let db: TestDatabase;
  let fhir: EmbeddedFhirServer;
  let load: OutboxLoad;
  let stream: StreamReader;
  let replicas: ServiceProcess[] = [];
  const tenant = `replicas-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    nats = await PrivateNats.start();
    db = await createTestDatabase();
    fhir = new EmbeddedFhirServer();
    await fhir.start();
    // Synthetic OutboxLoad events carry an ordering counter `n` the catalog rightly does not have.
    stream = await StreamReader.at(nats.url, "VIRTUAL_CARE", { checkCatalog: false });
    const env = { DATABASE_URL: db.url, NATS_URL: nats.url, FHIR_BASE_URL: fhir.baseUrl, RELAY_BATCH_SIZE: "25" };
    // Started one after another: the later ones find the migrations done and the leader lock taken.
    // Started together, as a deployment's replicas are: the migration lock lets one migrate first.
    replicas = await Promise.all([0, 1, 2].map(() => ServiceProcess.start(env)));
    load = await OutboxLoad.open(db.url);
  }, 120_000);
  afterAll(async () => {
    for (const r of replicas) await r.kill();
    await load?.close();
    await stream?.close();
    await fhir?.stop();
    await db?.drop();
    await nats?.destroy();
  });

  it("when 1,000 events on 50 sessions are relayed by three replicas and the leader is killed midway, then each session's events arrive once, in commit order", async () => {
    const leaders = () => replicas.filter((r) => r.running && r.isLeader());
    const [first] = await eventually("exactly one leader", () => (leaders().length === 1 ? leaders() : undefined));

    let committed = 0;
    const writing = load.write(tenant, 50, 20, 1, () => void committed++);
    await eventually("a quarter of the events to be committed", () => committed >= 250, 60_000, 10);
    await first!.kill("SIGKILL");
    const sessions = await writing;
    await eventually("a standby to take over", () => (leaders().length === 1 ? true : undefined), 30_000);
    await eventually("the outbox to drain", async () => (await load.pending(tenant)) === 0, 60_000, 200);
    expect(leaders()).toHaveLength(1);
    expect(leaders()[0]).not.toBe(first);

    const ours = (await stream.read()).filter((r) => r.event.tenantid === tenant);
    expect(ours).toHaveLength(1000);
    for (const sessionId of sessions) {
      const order = ours.filter((r) => r.event.data.sessionId === sessionId).map((r) => r.event.data.n);
      expect(order, `session ${sessionId}`).toEqual(Array.from({ length: 20 }, (_, n) => n));
    }
  });
});
