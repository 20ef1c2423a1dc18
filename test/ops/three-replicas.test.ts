import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { staffToken } from "../support/app.js";
import { assertHaproxyInstalled, Haproxy } from "../support/haproxy.js";
import { eventually, PrivateNats, StreamReader } from "../support/nats.js";
import { configureTenantOn, createSessionCall } from "../support/ops.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { ServiceProcess } from "../support/service-process.js";

/** What the load saw: every answer's status (0: no answer), and the ids the 201s returned. */
interface LoadResult {
  requests: number;
  byStatus: Record<number, number>;
  createdIds: string[];
  /** Why the others failed: status and problem code (or HAProxy's own page), counted. */
  reasons: Record<string, number>;
}

/**
 * Creates through HAProxy from `workers` concurrent clients until `stop` resolves. The clients
 * never retry (a create is not idempotent without a key): what they see is what a user would.
 * `result` fills as answers come (a test waits on its counts); `done` resolves once all stopped.
 */
function load(url: string, token: string, workers: number, stop: Promise<void>): { result: LoadResult; done: Promise<LoadResult> } {
  const result: LoadResult = { requests: 0, byStatus: {}, createdIds: [], reasons: {} };
  let stopped = false;
  void stop.then(() => (stopped = true));
  const running = Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = 0; !stopped; n++) {
        const answer = await createSessionCall(url, token, `appt-rr-${w}-${n}-${randomBytes(3).toString("hex")}`, 20_000);
        result.requests++;
        result.byStatus[answer.status] = (result.byStatus[answer.status] ?? 0) + 1;
        if (answer.status === 201) result.createdIds.push(answer.body.id);
        else {
          const reason = `${answer.status} ${answer.body?.code ?? String(answer.body ?? "").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 60)}`;
          result.reasons[reason] = (result.reasons[reason] ?? 0) + 1;
        }
        // ~40 creates/s per worker at most: enough to always have requests in flight on each
        // replica, without starving the other suites on a 2-core machine.
        await new Promise((r) => setTimeout(r, 25));
      }
    }),
  );
  return { result, done: running.then(() => result) };
}

/** Waits until `n` more creates have been answered 201 (from now): load, counted, not timed. */
const more201 = (r: LoadResult, n: number, what: string) => {
  const target = (r.byStatus[201] ?? 0) + n;
  return eventually(`${n} more creates answered 201 ${what}`, () => (r.byStatus[201] ?? 0) >= target, 60_000, 20);
};

const failures = (r: LoadResult) => r.requests - (r.byStatus[201] ?? 0);

/**
 * Three replicas (child processes) on one PostgreSQL database and one nats-server, behind Debian's
 * HAProxy checking /readyz every 250 ms (out after 3 failures, in after 2 passes). Rolling restart: SIGTERM one replica, wait for it to exit,
 * start it again, wait until HAProxy has it UP, next. Crash: kill -9 of the relay leader.
 */
describe("three replicas behind HAProxy (PostgreSQL, own nats-server)", () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let nats: PrivateNats;
  let fhir: EmbeddedFhirServer;
  let proxy: Haproxy;
  const replicas: ServiceProcess[] = [];
  const tenant = `t-replicas-${randomBytes(3).toString("hex")}`;
  let token: string;

  beforeAll(async () => {
    // First, so a machine without HAProxy fails at once with the reason.
    assertHaproxyInstalled();
    db = await createTestDatabase();
    sql = new pg.Client({ connectionString: db.url });
    nats = await PrivateNats.start();
    fhir = new EmbeddedFhirServer();
    await fhir.start();
    const env = {
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      FHIR_BASE_URL: fhir.baseUrl,
      // 3 × (4 + 1 relay) connections: the machine's PostgreSQL serves other suites too.
      DB_POOL_SIZE: "4",
      // Eight health checks' worth: HAProxy needs three failed ones (750 ms) to take the replica
      // out, well before it stops serving.
      SHUTDOWN_DRAIN_MS: "2000",
      SHUTDOWN_TIMEOUT_MS: "15000",
      // info: the relay's leadership lines tell the test which replica leads.
      LOG_LEVEL: "info",
    };
    // Started together, as a deployment's replicas are: the first to take the migration lock
    // migrates, the others find the schema ready.
    replicas.push(...(await Promise.all([0, 1, 2].map(() => ServiceProcess.start(env)))));
    await sql.connect();
    proxy = await Haproxy.start(
      replicas.map((r) => r.port),
      { checkIntervalMs: 250, fall: 3, rise: 2 },
    );
    for (let i = 0; i < 3; i++) await proxy.waitStatus(`r${i}`, "UP");
    await configureTenantOn(replicas[0]!, tenant);
    token = await staffToken(tenant, ["scheduler"]);
  }, 180_000);
  afterAll(async () => {
    for (const r of replicas) await r.kill();
    await proxy?.stop();
    await sql?.end().catch(() => undefined);
    await fhir?.stop();
    await nats?.destroy();
    await db?.drop();
  });

  const missingRows = async (ids: string[]) => {
    const { rows } = await sql.query<{ id: string }>("select id from virtual_sessions where id = any($1::uuid[])", [ids]);
    const found = new Set(rows.map((r) => r.id));
    return ids.filter((id) => !found.has(id));
  };

  it("when each replica in turn gets SIGTERM and is started again under load, then every request is answered 201 and every 201 has its row", async () => {
    let finish!: () => void;
    const { result: live, done } = load(proxy.url, token, 6, new Promise<void>((r) => (finish = r)));
    await more201(live, 100, "before the first restart");
    const restarts: Array<{ replica: number; exitCode: number | null; exitMs: number; readyMs: number; upMs: number }> = [];
    for (let i = 0; i < replicas.length; i++) {
      const r = replicas[i]!;
      const t0 = performance.now();
      const exitCode = await r.signalAndWait("SIGTERM");
      const t1 = performance.now();
      await r.start();
      const t2 = performance.now();
      await proxy.waitStatus(`r${i}`, "UP");
      restarts.push({ replica: i, exitCode, exitMs: Math.round(t1 - t0), readyMs: Math.round(t2 - t1), upMs: Math.round(performance.now() - t2) });
      // Load goes on between restarts, as in a rollout, and reaches the replica that came back.
      await more201(live, 50, `after replica ${i} came back`);
    }
    finish();
    const result = await done;
    console.log("rolling restart:", JSON.stringify({ requests: result.requests, byStatus: result.byStatus, reasons: result.reasons, restarts }));

    expect(restarts.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    expect(result.requests).toBeGreaterThan(200);
    expect(result.byStatus, "every create answered 201 through the rollout").toEqual({ 201: result.requests });
    expect(failures(result)).toBe(0);
    expect(await missingRows(result.createdIds)).toEqual([]);
  }, 240_000);

  it("when the relay leader is killed (-9) under load, then every 201 has its row and every outbox row is published exactly once", async () => {
    const leaderIndex = await eventually("one relay leader", () => {
      const leaders = replicas.map((r, i) => (r.running && r.isLeader() ? i : -1)).filter((i) => i >= 0);
      return leaders.length === 1 ? leaders[0] : undefined;
    }, 30_000);
    let finish!: () => void;
    const { result: live, done } = load(proxy.url, token, 6, new Promise<void>((r) => (finish = r)));
    await more201(live, 100, "before the kill");
    await replicas[leaderIndex]!.kill("SIGKILL");
    const killedAt = performance.now();
    await eventually("another replica to lead the relay", () => replicas.some((r, i) => i !== leaderIndex && r.running && r.isLeader()), 30_000);
    const failoverMs = Math.round(performance.now() - killedAt);
    // Creates go on under the new leader: their events too must be published exactly once.
    await more201(live, 100, "under the new relay leader");
    finish();
    const result = await done;

    expect(await missingRows(result.createdIds)).toEqual([]);
    await eventually("the outbox to drain", async () => (await sql.query("select 1 from virtual_care_outbox where published_at is null limit 1")).rowCount === 0, 60_000, 200);
    const { rows: outbox } = await sql.query<{ id: string }>("select id from virtual_care_outbox");
    const published: string[] = [];
    for (const stream of ["VIRTUAL_CARE", "AUDIT"]) {
      const reader = await StreamReader.from(nats.url, stream, 1);
      published.push(...(await reader.read()).map((m) => m.event.id));
      await reader.close();
    }
    const duplicates = published.filter((id, i) => published.indexOf(id) !== i);
    console.log("kill -9:", JSON.stringify({ requests: result.requests, byStatus: result.byStatus, reasons: result.reasons, failoverMs, outboxRows: outbox.length, published: published.length, duplicates: duplicates.length }));

    expect(result.byStatus[201]).toBeGreaterThan(50);
    // At most the creates in flight on the killed replica fail (502 from HAProxy); none is lost.
    expect(failures(result)).toBeLessThanOrEqual(6);
    expect(duplicates).toEqual([]);
    expect(published.sort()).toEqual(outbox.map((r) => r.id).sort());
  }, 180_000);
});
