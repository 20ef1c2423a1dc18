import { randomUUID } from "node:crypto";
import { headers } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { staffToken } from "../support/app.js";
import { eventually } from "../support/nats.js";
import { NatsCluster, outageMs, readStream, type StoredEvent } from "../support/nats-cluster.js";
import { configureTenantOn, createSessionCall } from "../support/ops.js";
import { createTestDatabase, suitePool, type TestDatabase } from "../support/postgres.js";
import { appointmentEvent, BOOKED } from "../support/scheduling.js";
import { ServiceProcess } from "../support/service-process.js";

/**
 * Issue 22, item 1: the service on a three-node JetStream cluster (NATS_URL lists all three,
 * NATS_STREAM_REPLICAS=3) under a steady load of visit creates; the node leading VIRTUAL_CARE is
 * killed and restarted, then a follower. Figures are printed for docs/operations.md.
 */
describe("NATS JetStream cluster: a node lost under load (three nats-servers, service as a child process)", () => {
  let cluster: NatsCluster;
  let db: TestDatabase;
  let owner: pg.Pool;
  let fhir: EmbeddedFhirServer;
  let service: ServiceProcess;
  const tenant = `natsha-${randomUUID().slice(0, 8)}`;
  const DURABLE = "virtual-care-scheduling";

  beforeAll(async () => {
    cluster = await NatsCluster.start(3);
    db = await createTestDatabase();
    owner = suitePool(db.url, 2);
    fhir = new EmbeddedFhirServer();
    const fhirUrl = await fhir.start();
    service = await ServiceProcess.start({
      DATABASE_URL: db.url,
      FHIR_BASE_URL: fhirUrl,
      NATS_URL: cluster.urls,
      NATS_STREAM_REPLICAS: "3",
      RELAY_POLL_INTERVAL_MS: "200",
      SCHEDULING_CONSUMER_NAME: DURABLE,
    }, { waitReady: false });
    await service.waitReady().catch((err: Error) => {
      throw new Error(`${err.message}\n${service.stderr}`);
    });
    await configureTenantOn(service, tenant);
  }, 90_000);
  afterAll(async () => {
    await service?.kill();
    await fhir?.stop();
    await owner?.end();
    await db?.drop();
    await cluster?.destroy();
  });

  /** Publishes a booked appointment to SCHEDULING as the scheduling service would, retrying while the cluster elects. */
  const book = async () => {
    const event = appointmentEvent({ tenantId: tenant });
    await eventually(
      "the booked appointment to be stored",
      () =>
        cluster.withConnection(async (nc) => {
          const h = headers();
          h.set("content-type", "application/cloudevents+json; charset=utf-8");
          await jetstream(nc).publish(BOOKED, event.body, { headers: h, msgID: event.id, timeout: 3000 });
          return true;
        }),
      30_000,
      200,
    );
    return event.appointmentId;
  };

  /** Every follower (the leader aside) is current with the leader. */
  const caughtUp = (info: { leader?: string; replicas: Array<{ name: string; current: boolean }> }) =>
    info.leader !== undefined && info.replicas.filter((r) => r.name !== info.leader).length === 2 && info.replicas.filter((r) => r.name !== info.leader).every((r) => r.current);

  const eventsOfTenant = async (): Promise<StoredEvent[]> => {
    const all = [...(await readStream(cluster.liveUrls, "VIRTUAL_CARE")), ...(await readStream(cluster.liveUrls, "AUDIT"))];
    return all.filter((e) => e.tenantid === tenant);
  };
  const pending = async () =>
    (await owner.query("select count(*)::int as n from virtual_care_outbox where tenant_id = $1 and published_at is null", [tenant])).rows[0].n as number;

  it("when the stream leader's node and later a follower are killed and restarted, then every committed event is on the streams exactly once and the scheduling consumer carries on", async () => {
    const token = await staffToken(tenant, ["scheduler"]);
    // The service created its streams at 3 replicas (one per node).
    for (const stream of ["VIRTUAL_CARE", "AUDIT", "SCHEDULING"]) {
      // A stream just created may report its leader before its peers do (CI saw `replicas: []`
      // once on Node 24), so wait for the peer list; a one-replica stream still fails below.
      // The relay creates VIRTUAL_CARE and AUDIT on its first publish (the tenant's config events),
      // retrying with backoff while the new cluster cannot yet place three replicas: up to 60 s
      // on a loaded CI machine. A failure says what the service logged meanwhile.
      const info = await eventually(`stream ${stream} to have a leader and its peers`, async () => {
        const i = await cluster.streamCluster(stream);
        return i.leader && i.replicas.length >= i.configured - 1 ? i : undefined;
      }, 60_000, 200).catch((err: Error) => {
        const warnings = service.logs.filter((l) => Number(l.level) >= 40).slice(-10).map((l) => JSON.stringify(l));
        throw new Error(`${err.message}\nservice warnings:\n${warnings.join("\n")}`);
      });
      expect(info.configured, stream).toBe(3);
      const nodes = new Set([info.leader, ...info.replicas.map((r) => r.name)]);
      expect(nodes.size, `${stream} ${JSON.stringify(info)}`).toBe(3);
    }

    const statuses = new Map<string, number>();
    let creates = 0;
    let stop = false;
    // Two clients creating visits, paced: a steady, bounded load (a few hundred over the test).
    const workers = Array.from({ length: 2 }, async (_, w) => {
      while (!stop) {
        const res = await createSessionCall(service.url, token, `appt-${w}-${creates++}`, 20_000);
        const key = res.status === 201 ? "201" : `${res.status} ${res.body?.code ?? ""}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 60));
      }
    });
    const createdSince = (n: number) => () => (statuses.get("201") ?? 0) >= n;
    const appointments: string[] = [];
    try {
      await eventually("the first creates", createdSince(30), 30_000, 50);
      appointments.push(await book());

      // Fault 1: the node leading VIRTUAL_CARE is lost.
      const leader1 = (await cluster.streamCluster("VIRTUAL_CARE")).leader!;
      const fault1 = Date.now();
      await cluster.node(leader1).stop("SIGKILL");
      appointments.push(await book());
      const mark1 = statuses.get("201") ?? 0;
      await eventually("a new VIRTUAL_CARE leader", async () => {
        const l = (await cluster.streamCluster("VIRTUAL_CARE")).leader;
        return l !== undefined && l !== leader1;
      }, 30_000, 50);
      const electedMs = Date.now() - fault1;
      await eventually("creates after the leader's loss to be published", async () => createdSince(mark1 + 40)() && (await cluster.lastStoredAtMs("VIRTUAL_CARE")) > fault1, 60_000, 200);

      // The lost node comes back and catches up.
      await cluster.node(leader1).start();
      await eventually("the restarted node to be current", async () => caughtUp(await cluster.streamCluster("VIRTUAL_CARE")), 60_000, 200);

      // Fault 2: a follower is lost (the stream keeps its leader).
      const now = await cluster.streamCluster("VIRTUAL_CARE");
      const follower = now.replicas.find((r) => r.name !== now.leader)!.name;
      const fault2 = Date.now();
      await cluster.node(follower).stop("SIGKILL");
      const mark2 = statuses.get("201") ?? 0;
      appointments.push(await book());
      await eventually("creates after the follower's loss to be published", async () => createdSince(mark2 + 40)() && (await cluster.lastStoredAtMs("VIRTUAL_CARE")) > fault2, 60_000, 200);
      await cluster.node(follower).start();
      await eventually("the follower to be current again", async () => caughtUp(await cluster.streamCluster("VIRTUAL_CARE")), 60_000, 200);
      appointments.push(await book());
      stop = true;
      await Promise.all(workers);

      await eventually("the outbox to drain", async () => (await pending()) === 0, 60_000, 200);
      const rows = (await owner.query("select id, type, published_at from virtual_care_outbox where tenant_id = $1", [tenant])).rows as Array<{ id: string; type: string; published_at: Date }>;
      const committed = rows.map((r) => r.id);
      // Read again while any is missing (a stream whose restarted replica is still settling can
      // answer short); a real loss stays missing through the 30 s and fails below.
      let stored: StoredEvent[] = [];
      await eventually("every committed event to be readable", async () => {
        stored = await eventsOfTenant();
        const seen = new Set(stored.map((e) => e.id));
        return committed.every((id) => seen.has(id));
      }, 30_000, 1000).catch(() => undefined);
      const ids = stored.map((e) => e.id);
      const storedIds = new Set(ids);
      const duplicated = ids.length - storedIds.size;
      const missing = rows.filter((r) => !storedIds.has(r.id));
      const lost = missing.length;
      const figures = {
        creates201: statuses.get("201") ?? 0,
        otherAnswers: Object.fromEntries([...statuses].filter(([k]) => k !== "201")),
        eventsCommitted: committed.length,
        eventsPublished: ids.length,
        lost,
        duplicated,
        leaderLossOutageMs: Math.round(outageMs(stored, fault1)),
        // Seen by the test's own client, polling (an upper bound).
        newLeaderAfterMs: electedMs,
        followerLossOutageMs: Math.round(outageMs(stored, fault2)),
        // Where the leader-loss time goes: the relay's failed publishes and the pauses it took.
        relayBackoffsMs: service.logs.filter((l) => l.component === "outbox-relay" && typeof l.retryInMs === "number").map((l) => l.retryInMs),
        // When some are missing: their types and when the relay marked them published, to place them around the faults.
        missing: missing.slice(0, 5).map((r) => ({ type: r.type, publishedAfterFault1Ms: r.published_at.getTime() - fault1, publishedAfterFault2Ms: r.published_at.getTime() - fault2 })),
        bytesPerEvent: await cluster.withConnection(async (nc) => {
          const state = (await (await jetstreamManager(nc)).streams.info("VIRTUAL_CARE")).state;
          return Math.round(state.bytes / Math.max(state.messages, 1));
        }),
      };
      console.log(`[nats-cluster-failover] ${JSON.stringify(figures)}`);
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      expect([...new Set(ids)].sort()).toEqual([...committed].sort());
      // Losing a NATS node is invisible to the API: every create answered 201.
      expect([...statuses.keys()]).toEqual(["201"]);

      // The scheduling consumer carried on: each appointment booked around the faults has its session, once.
      const sessions = async () =>
        (await owner.query("select appointment_id from virtual_sessions where tenant_id = $1 and appointment_id = any($2)", [tenant, appointments])).rows.map(
          (r: { appointment_id: string }) => r.appointment_id,
        );
      const made = await eventually("a session for every booked appointment", async () => {
        const s = await sessions();
        return s.length >= appointments.length ? s : undefined;
      }, 60_000, 200);
      expect([...made].sort()).toEqual([...appointments].sort());
      expect(service.running).toBe(true);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
  }, 200_000);
});
