import { randomUUID } from "node:crypto";
import { EmbeddedFhirServer } from "../../src/adapters/fhir/embedded-fhir-server.js";
import { staffToken } from "./app.js";
import { eventually, PrivateNats } from "./nats.js";
import { readStream } from "./nats-cluster.js";
import { configureTenantOn, createSessionCall, type Answer } from "./ops.js";
import { PgNode } from "./pg-replication.js";
import { ServiceProcess } from "./service-process.js";
import { TcpProxy } from "./tcp-proxy.js";

const DATABASE = "vcs";

/**
 * Issue 22, item 2: a primary and a streaming standby (synchronous or not) made by the test, one
 * fixed address in front (a TCP proxy the test repoints, as CloudNativePG's -rw Service or a
 * proxy with a primary check does), the service as a child process with its own nats-server.
 */
export class PgFailoverRig {
  private constructor(
    readonly primary: PgNode,
    readonly standby: PgNode,
    readonly proxy: TcpProxy,
    readonly nats: PrivateNats,
    readonly fhir: EmbeddedFhirServer,
    readonly service: ServiceProcess,
    readonly tenant: string,
    /** The standby's replication connection goes through this proxy (so a test can stall it). */
    readonly replicationLink: TcpProxy,
  ) {}

  static async start(synchronous: boolean): Promise<PgFailoverRig> {
    // The clusters and servers are processes: whatever was started is stopped when a later step fails.
    const undo: Array<() => Promise<unknown>> = [];
    try {
      const primary = await PgNode.primary("pg_a");
      undo.push(() => primary.destroy());
      await primary.query("postgres", `create database ${DATABASE}`);
      const replicationLink = new TcpProxy("127.0.0.1", primary.port);
      await replicationLink.start();
      undo.push(() => replicationLink.stop());
      const standby = await PgNode.standbyOf(primary, "pg_b", replicationLink.port);
      undo.push(() => standby.destroy());
      if (synchronous) await primary.requireSynchronousStandby("pg_b");
      await eventually(
        "the standby to stream",
        async () => {
          const rows = await primary.query<{ sync_state: string }>("postgres", "select sync_state from pg_stat_replication where application_name = 'pg_b'");
          return rows[0]?.sync_state === (synchronous ? "sync" : "async");
        },
        30_000,
        100,
      );
      const proxy = new TcpProxy("127.0.0.1", primary.port);
      await proxy.start();
      undo.push(() => proxy.stop());
      const nats = await PrivateNats.start();
      undo.push(() => nats.destroy());
      const fhir = new EmbeddedFhirServer();
      const fhirUrl = await fhir.start();
      undo.push(() => fhir.stop());
      const service = await ServiceProcess.start(
        {
          DATABASE_URL: proxy.proxiedUrl(primary.urlOf(DATABASE)),
          FHIR_BASE_URL: fhirUrl,
          NATS_URL: nats.url,
          RELAY_POLL_INTERVAL_MS: "200",
          DB_POOL_SIZE: "6",
          DB_CONNECT_TIMEOUT_MS: "2000",
        },
        { waitReady: false },
      );
      undo.push(() => service.kill());
      await service.waitReady().catch((err: Error) => {
        throw new Error(`${err.message}\n${service.stderr}`);
      });
      const tenant = `pgha-${randomUUID().slice(0, 8)}`;
      await configureTenantOn(service, tenant);
      return new PgFailoverRig(primary, standby, proxy, nats, fhir, service, tenant, replicationLink);
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.service.kill();
    await this.proxy.stop();
    await this.fhir.stop();
    await this.nats.destroy();
    await this.primary.destroy();
    await this.standby.destroy();
    await this.replicationLink.stop();
  }

  /**
   * Visits created by four clients while the primary is killed, the standby promoted and the
   * address repointed. Every answer is kept with when it came.
   */
  async failoverUnderLoad(options: { stallReplicationFirst?: boolean } = {}): Promise<FailoverRun> {
    const token = await staffToken(this.tenant, ["scheduler"]);
    const answers: Array<Answer & { at: number; startedAt: number }> = [];
    let stop = false;
    let n = 0;
    const workers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const startedAt = Date.now();
        const a = await createSessionCall(this.service.url, token, `appt-${n++}`, 15_000);
        answers.push({ ...a, startedAt, at: Date.now() });
        // A client told to retry later waits a little (not the whole Retry-After: the test would idle).
        if (a.status !== 201) await new Promise((r) => setTimeout(r, 100));
      }
    });
    const count = (f: (a: Answer & { at: number; startedAt: number }) => boolean) => answers.filter(f).length;
    try {
      await eventually("creates before the fault", () => count((a) => a.status === 201) >= 40, 30_000, 20);
      let stalledAt: number | null = null;
      if (options.stallReplicationFirst) {
        // The standby stops receiving WAL (a slow or broken link) while the primary goes on
        // acknowledging: the lag an asynchronous standby can have when the primary dies.
        stalledAt = Date.now();
        this.replicationLink.blackhole();
        await eventually("creates acknowledged while the standby lags", () => count((a) => a.startedAt > stalledAt! && a.status === 201) >= 20, 30_000, 20);
      }
      const killedAt = Date.now();
      this.primary.killHard();
      // The gap a managed failover has (here as short as the service lets it be seen): requests
      // answered while no primary exists.
      await eventually("requests to be refused while no primary exists", () => count((a) => a.startedAt > killedAt && a.status !== 201) >= 8, 30_000, 20);
      await this.standby.promote();
      await this.standby.waitWritable();
      const writableAt = Date.now();
      this.proxy.retarget("127.0.0.1", this.standby.port);
      const first = await eventually("a create to succeed on the new primary", () => answers.find((a) => a.at > writableAt && a.status === 201), 60_000, 10);
      await eventually("creates after the failover", () => count((a) => a.at > writableAt && a.status === 201) >= 40, 60_000, 20);
      stop = true;
      await Promise.all(workers);
      return { answers, stalledAt, killedAt, writableAt, firstWriteMs: first.at - writableAt };
    } finally {
      stop = true;
      await Promise.all(workers);
    }
  }

  /** What the new primary holds: sessions, outbox rows and those not yet published. */
  async onNewPrimary(): Promise<{ sessionIds: Set<string>; outboxIds: string[]; pending: number }> {
    const sessions = await this.standby.query<{ id: string }>(DATABASE, "select id from virtual_sessions where tenant_id = $1", [this.tenant]);
    const outbox = await this.standby.query<{ id: string; published: boolean }>(
      DATABASE,
      "select id, published_at is not null as published from virtual_care_outbox where tenant_id = $1",
      [this.tenant],
    );
    return { sessionIds: new Set(sessions.map((s) => s.id)), outboxIds: outbox.map((o) => o.id), pending: outbox.filter((o) => !o.published).length };
  }

  /** The tenant's event ids on VIRTUAL_CARE and AUDIT (the private server holds nothing else). */
  async streamIds(): Promise<string[]> {
    const all = [...(await readStream([this.nats.url], "VIRTUAL_CARE")), ...(await readStream([this.nats.url], "AUDIT"))];
    return all.filter((e) => e.tenantid === this.tenant).map((e) => e.id);
  }
}

export interface FailoverRun {
  answers: Array<Answer & { at: number; startedAt: number }>;
  /** When the standby's replication link was stalled (null: it streamed until the crash). */
  stalledAt: number | null;
  killedAt: number;
  writableAt: number;
  /** From the new primary accepting writes to the service's first 201 create. */
  firstWriteMs: number;
}

/** Answers other than 201, by status and problem code, with how many carried Retry-After. */
export function refusals(run: FailoverRun): Record<string, { count: number; withRetryAfter: number; slowestMs: number }> {
  const out: Record<string, { count: number; withRetryAfter: number; slowestMs: number }> = {};
  for (const a of run.answers.filter((x) => x.status !== 201)) {
    const key = `${a.status} ${a.body?.code ?? ""}`.trim();
    const r = (out[key] ??= { count: 0, withRetryAfter: 0, slowestMs: 0 });
    r.count++;
    if (a.retryAfter) r.withRetryAfter++;
    r.slowestMs = Math.max(r.slowestMs, Math.round(a.ms));
  }
  return out;
}
