import { DiscardPolicy, jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";

/** The streams (docs/asyncapi.yaml) this service publishes to, created when missing. */
const DAY_MS = 24 * 60 * 60 * 1000;
const GIB = 1024 * 1024 * 1024;

/**
 * Retention (docs/security.md): domain events are for consumers that keep up, so 7 days and 10 GiB,
 * oldest dropped first. AUDIT is a compliance record: one year online, and when its 10 GiB are full
 * new publishes are refused rather than old records dropped, so audit records wait in the outbox
 * (durable) until an operator archives and makes room; nothing is lost silently.
 */
export const STREAMS = {
  virtualCare: { name: "VIRTUAL_CARE", subjects: ["virtualcare.>"], limits: { maxAgeMs: 7 * DAY_MS, maxBytes: 10 * GIB, discard: DiscardPolicy.Old } },
  audit: { name: "AUDIT", subjects: ["audit.virtualcare.>"], limits: { maxAgeMs: 365 * DAY_MS, maxBytes: 10 * GIB, discard: DiscardPolicy.New } },
  scheduling: {
    name: "SCHEDULING",
    subjects: ["scheduling.appointment.booked.v1", "scheduling.appointment.cancelled.v1"],
  },
} as const;

export interface StreamSpec {
  name: string;
  subjects: readonly string[];
  limits?: { maxAgeMs: number; maxBytes: number; discard: DiscardPolicy };
}

/**
 * One NATS connection per process, opened on first use. The first connect fails fast (callers
 * back off and retry); once connected, the client reconnects on its own for as long as it takes.
 */
export class NatsClient {
  private connecting: Promise<NatsConnection> | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly name: string,
    /** Replicas of the streams this client creates (NATS_STREAM_REPLICAS). */
    readonly streamReplicas = 1,
  ) {}

  async connection(): Promise<NatsConnection> {
    if (this.closed) throw new Error("the NATS client is closed");
    this.connecting ??= connect({
      servers: this.url.split(","),
      name: this.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 2000,
    }).catch((err: unknown) => {
      this.connecting = null;
      throw err;
    });
    const nc = await this.connecting;
    if (this.watched !== nc) this.watch(nc);
    if (nc.isClosed()) {
      this.connecting = null;
      return this.connection();
    }
    return nc;
  }

  private watched: NatsConnection | null = null;
  private up = false;

  /** The server this client is connected to now (`server.address`/`server.port` of its spans); {} before the first connect. */
  serverAttributes(): { "server.address"?: string; "server.port"?: number } {
    const hostPort = this.watched && !this.watched.isClosed() ? this.watched.getServer() : "";
    const colon = hostPort.lastIndexOf(":");
    if (colon < 0) return {};
    return { "server.address": hostPort.slice(0, colon).replace(/^\[|\]$/g, ""), "server.port": Number(hostPort.slice(colon + 1)) };
  }

  /** True while the connection is established (not closed, not between a disconnect and a reconnect). */
  connected(): boolean {
    return this.up && this.watched !== null && !this.watched.isClosed();
  }

  private watch(nc: NatsConnection): void {
    this.watched = nc;
    this.up = true;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect" || s.type === "reconnecting") this.up = false;
        if (s.type === "reconnect") this.up = true;
      }
    })().catch(() => undefined);
  }

  private handles: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager } | null = null;

  /** JetStream handles of the current connection (made once per connection: publishing is hot). */
  async jetstream(): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
    const nc = await this.connection();
    if (this.handles?.nc !== nc) this.handles = { nc, js: jetstream(nc), jsm: await jetstreamManager(nc, { checkAPI: false }) };
    return this.handles;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.connecting;
    this.connecting = null;
    const nc = await pending?.catch(() => null);
    await nc?.drain().catch(() => nc.close());
  }
}

export function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/**
 * Creates the stream when it does not exist, with its limits. An existing one keeps the limits an
 * operator set; only one with none at all (created before limits existed) gets ours.
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, replicas = 1): Promise<void> {
  const limits = spec.limits
    ? { max_age: nanos(spec.limits.maxAgeMs), max_bytes: spec.limits.maxBytes, discard: spec.limits.discard }
    : {};
  try {
    const info = await jsm.streams.info(spec.name);
    if (spec.limits && info.config.max_age === 0 && info.config.max_bytes === -1) {
      await jsm.streams.update(spec.name, { ...info.config, ...limits });
    }
    return;
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
  }
  try {
    await jsm.streams.add({
      name: spec.name,
      subjects: [...spec.subjects],
      storage: StorageType.File,
      // Nats-Msg-Id duplicates are dropped within this window (the relay re-publishes within seconds).
      duplicate_window: nanos(120_000),
      // On a cluster, 3 replicas: the stream keeps a leader and its data when one node is lost.
      num_replicas: replicas,
      ...limits,
    });
  } catch (err) {
    // Another replica created it between our info and add.
    await jsm.streams.info(spec.name).catch(() => {
      throw err;
    });
  }
}
