import { randomUUID } from "node:crypto";
import { DiscardPolicy, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";
import { eventually, PrivateNats, StreamReader, type StreamRecord } from "../support/nats.js";

/**
 * Issue 20 item 9: AUDIT refuses new records once full (discard=new, by design: audit records wait
 * in the outbox until an operator makes room). That must hold back audit records only: domain
 * events (session.*, which billing consumes) keep flowing for every tenant.
 */
describe("a full AUDIT stream (own nats-server, PostgreSQL)", () => {
  let nats: PrivateNats;
  let app: TestApp;
  const tenant = `isolation-${randomUUID().slice(0, 8)}`;
  const BATCH = 20;

  beforeAll(async () => {
    nats = await PrivateNats.start();
    // The operator's AUDIT, made small: it takes 5 records and then refuses new ones.
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: "AUDIT",
      subjects: ["audit.virtualcare.>"],
      storage: StorageType.File,
      duplicate_window: nanos(120_000),
      max_age: nanos(3_600_000),
      max_msgs: 5,
      discard: DiscardPolicy.New,
    });
    await nc.close();
    app = await bootApp({ env: { NATS_URL: nats.url, RELAY_POLL_INTERVAL_MS: "200", RELAY_BATCH_SIZE: String(BATCH) } });
    await configureTenant(app, tenant);
  });
  afterAll(async () => {
    await app?.close();
    await nats?.destroy();
  });

  const pendingAudit = async () =>
    (await app.owner.query("select count(*)::int as n from virtual_care_outbox where published_at is null and type like 'audit.%'")).rows[0].n as number;
  const pendingDomain = async () =>
    (await app.owner.query("select count(*)::int as n from virtual_care_outbox where published_at is null and type not like 'audit.%'")).rows[0].n as number;

  it("when AUDIT refuses new records, then session events keep publishing, and once room is made every audit record follows, none lost, doubled or out of order", async () => {
    const scheduler = await staffToken(tenant, ["scheduler"]);
    const create = async (i: number) => {
      const res = await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody({ appointmentId: `appt-${i}` }) });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    // More refused audit records than one batch: the oldest rows are all audit records now.
    const first: string[] = [];
    for (let i = 0; i < 2 * BATCH; i++) first.push(await create(i));
    await eventually("the audit backlog to exceed a batch", async () => (await pendingAudit()) > BATCH);

    // Then session events: created, and a cancellation of an older session.
    const later: string[] = [];
    for (let i = 0; i < 5; i++) later.push(await create(100 + i));
    const cancel = await app.request({ method: "POST", url: `/v1/sessions/${first[0]}/cancel`, token: scheduler, body: { reason: "clinic closed" } });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const started = Date.now();
    await eventually("every session event to be published while AUDIT is full", async () => (await pendingDomain()) === 0, 20_000, 100);
    const domainLagMs = Date.now() - started;
    expect(await pendingAudit()).toBeGreaterThan(BATCH);

    // The refusals are counted by stream and type, without tenant ids.
    const metrics = await app.request({ method: "GET", url: "/metrics" });
    const failures = metrics.body.split("\n").filter((l) => l.startsWith("vcs_outbox_publish_failures_total{"));
    expect(failures.some((l) => l.includes('stream="AUDIT"') && l.includes('type="audit.virtualcare.session.create"'))).toBe(true);
    expect(failures.some((l) => l.includes('stream="VIRTUAL_CARE"'))).toBe(false);
    expect(metrics.body).not.toContain(tenant);

    // The operator makes room.
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info("AUDIT");
    await jsm.streams.update("AUDIT", { ...info.config, max_msgs: -1 });
    await nc.close();
    const roomMade = Date.now();
    await eventually("the audit backlog to drain", async () => (await pendingAudit()) === 0, 60_000, 200);
    const auditLagMs = Date.now() - roomMade;

    const committed = (
      await app.owner.query("select id, seq, aggregate_type, aggregate_id from virtual_care_outbox where tenant_id = $1 order by seq", [tenant])
    ).rows as Array<{ id: string; seq: string; aggregate_type: string; aggregate_id: string }>;
    const stored = (await readAll(nats.url)).filter((r) => r.event.tenantid === tenant);
    const ids = stored.map((r) => r.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(committed.map((c) => c.id).sort());

    // Per aggregate, the stream holds the events in commit order.
    const positionInStream = new Map(stored.map((r) => [r.event.id, `${r.seq}`.padStart(12, "0")]));
    const streamOf = new Map(stored.map((r) => [r.event.id, r.subject.startsWith("audit.") ? "AUDIT" : "VIRTUAL_CARE"]));
    const chains = new Map<string, string[]>();
    for (const c of committed) {
      const key = `${c.aggregate_type}/${c.aggregate_id}`;
      chains.set(key, [...(chains.get(key) ?? []), c.id]);
    }
    for (const [key, chain] of chains) {
      expect(new Set(chain.map((id) => streamOf.get(id))).size, key).toBe(1);
      const byStream = [...chain].sort((a, b) => positionInStream.get(a)!.localeCompare(positionInStream.get(b)!));
      expect(byStream, key).toEqual(chain);
    }
    const cancelled = stored.filter((r) => r.subject === "virtualcare.session.cancelled.v1").map((r) => r.event.data.sessionId);
    expect(cancelled).toEqual([first[0]]);
    const created = stored.filter((r) => r.subject === "virtualcare.session.created.v1").map((r) => r.event.data.sessionId);
    expect([...created].sort()).toEqual([...first, ...later].sort());
    console.info(`relay isolation: session events published ${domainLagMs} ms after the last write with AUDIT full; audit backlog drained ${auditLagMs} ms after room was made`);
  });

  it("when one event is refused on a stream that takes the others, then only its session waits (its later events do not overtake it) and the other sessions' events flow", async () => {
    const scheduler = await staffToken(tenant, ["scheduler"]);
    const create = async (appointmentId: string) => {
      const res = await app.request({ method: "POST", url: "/v1/sessions", token: scheduler, body: sessionBody({ appointmentId }) });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    const cancel = async (id: string) => {
      const res = await app.request({ method: "POST", url: `/v1/sessions/${id}/cancel`, token: scheduler, body: { reason: "clinic closed" } });
      expect(res.statusCode, res.body).toBe(200);
    };
    const published = async (id: string) =>
      (await app.owner.query("select published_at from virtual_care_outbox where id = $1", [id])).rows[0]?.published_at != null;
    const eventOf = async (sessionId: string, type: string) =>
      (await app.owner.query("select id from virtual_care_outbox where aggregate_id = $1 and type = $2", [sessionId, type])).rows[0]?.id as string;

    const other = await create("appt-other");
    await eventually("the other session's creation to be published", async () => published(await eventOf(other, "virtualcare.session.created.v1")));

    // VIRTUAL_CARE now refuses any further session.created (one subject full, discard new per subject).
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info("VIRTUAL_CARE", { subjects_filter: ">" });
    const createdCount = info.state.subjects?.["virtualcare.session.created.v1"] ?? 0;
    await jsm.streams.update("VIRTUAL_CARE", { ...info.config, discard: DiscardPolicy.New, max_msgs_per_subject: createdCount, discard_new_per_subject: true });

    const stuck = await create("appt-stuck");
    await cancel(stuck);
    await cancel(other);
    await eventually("the other session's cancellation to be published", async () => published(await eventOf(other, "virtualcare.session.cancelled.v1")));
    expect(await published(await eventOf(stuck, "virtualcare.session.created.v1"))).toBe(false);
    expect(await published(await eventOf(stuck, "virtualcare.session.cancelled.v1"))).toBe(false);

    const now = await jsm.streams.info("VIRTUAL_CARE");
    await jsm.streams.update("VIRTUAL_CARE", { ...now.config, discard_new_per_subject: false, max_msgs_per_subject: -1, discard: DiscardPolicy.Old });
    await nc.close();
    await eventually("the held session's events to be published", async () => published(await eventOf(stuck, "virtualcare.session.cancelled.v1")), 30_000, 200);

    const stored = (await readAll(nats.url)).filter((r) => r.event.tenantid === tenant && r.event.data.sessionId === stuck);
    expect(stored.map((r) => r.subject)).toEqual(["virtualcare.session.created.v1", "virtualcare.session.cancelled.v1"]);
  });
});

/** Everything in both streams of the private server, in stream order. */
async function readAll(url: string): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  for (const name of ["VIRTUAL_CARE", "AUDIT"]) {
    const reader = await StreamReader.from(url, name, 1);
    out.push(...(await reader.read()));
    await reader.close();
  }
  return out;
}
