import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { eventually, freePort } from "./nats.js";
import { stopProcess } from "./process.js";

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = new Socket();
    sock.once("connect", () => (sock.destroy(), resolve(true)));
    sock.once("error", () => resolve(false));
    sock.connect(port, "127.0.0.1");
  });

/** One node of a NatsCluster: its own client port, route port and store, which survive stop/start. */
export class NatsNode {
  private proc: ChildProcess | null = null;
  readonly storeDir = mkdtempSync(join(tmpdir(), "vcs-nats-node-"));
  constructor(
    readonly name: string,
    readonly port: number,
    readonly routePort: number,
    private readonly clusterName: string,
    private routes: string[] = [],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null;
  }

  setRoutes(routes: string[]): void {
    this.routes = routes;
  }

  async start(): Promise<void> {
    const args = [
      ...["-a", "127.0.0.1", "-p", String(this.port), "-n", this.name, "-js", "-sd", this.storeDir],
      ...["--cluster_name", this.clusterName, "--cluster", `nats://127.0.0.1:${this.routePort}`, "--routes", this.routes.join(",")],
    ];
    const proc = spawn("/usr/sbin/nats-server", args, { stdio: "ignore" });
    this.proc = proc;
    const killOnExit = () => proc.kill("SIGKILL");
    process.once("exit", killOnExit);
    proc.once("exit", () => process.off("exit", killOnExit));
    await eventually(`nats node ${this.name} to listen`, () => portOpen(this.port), 15_000, 50);
  }

  /** SIGKILL by default: the node is lost as in a crash (its store stays, as on a real disk). */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await stopProcess(p, signal);
  }
}

/**
 * Three nats-server processes with routes between them and JetStream on each (own ports, own
 * stores in temp folders), as a JetStream cluster in production: streams at 3 replicas keep a
 * leader and every acknowledged message while one node is lost. destroy() removes the stores.
 */
export class NatsCluster {
  private constructor(readonly nodes: NatsNode[]) {}

  static async start(size = 3): Promise<NatsCluster> {
    const clusterName = `vcs-${process.pid}-${Date.now().toString(36)}`;
    const nodes: NatsNode[] = [];
    for (let i = 0; i < size; i++) nodes.push(new NatsNode(`n${i + 1}`, await freePort(), await freePort(), clusterName));
    for (const n of nodes) n.setRoutes(nodes.filter((o) => o !== n).map((o) => `nats://127.0.0.1:${o.routePort}`));
    await Promise.all(nodes.map((n) => n.start()));
    const cluster = new NatsCluster(nodes);
    await cluster.waitJetStreamReady();
    return cluster;
  }

  /** Every node's URL, comma-separated: what NATS_URL holds in production. */
  get urls(): string {
    return this.nodes.map((n) => n.url).join(",");
  }

  /** The URLs of the nodes running now (for the test's own clients). */
  get liveUrls(): string[] {
    return this.nodes.filter((n) => n.running).map((n) => n.url);
  }

  node(name: string): NatsNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** The meta leader is elected once a majority of nodes see each other: the JetStream API then answers. */
  async waitJetStreamReady(timeoutMs = 30_000): Promise<void> {
    await eventually(
      "the JetStream cluster to elect a meta leader",
      () =>
        this.withConnection(async (nc) => {
          const info = await (await jetstreamManager(nc)).getAccountInfo();
          return info !== undefined;
        }),
      timeoutMs,
      200,
    );
  }

  async withConnection<T>(f: (nc: NatsConnection) => Promise<T>): Promise<T> {
    const nc = await connect({ servers: this.liveUrls, timeout: 2000 });
    try {
      return await f(nc);
    } finally {
      await nc.close();
    }
  }

  /** The stream's leader and replicas, as the cluster reports them now. */
  async streamCluster(stream: string): Promise<{ configured: number; leader?: string; replicas: Array<{ name: string; current: boolean }> }> {
    return this.withConnection(async (nc) => {
      const info = await (await jetstreamManager(nc)).streams.info(stream);
      return { configured: info.config.num_replicas, leader: info.cluster?.leader, replicas: (info.cluster?.replicas ?? []).map((r) => ({ name: r.name, current: r.current })) };
    });
  }

  /** When the stream's newest message was stored (ms since the epoch; 0 when empty): cheap to poll. */
  async lastStoredAtMs(stream: string): Promise<number> {
    return this.withConnection(async (nc) => {
      const state = (await (await jetstreamManager(nc)).streams.info(stream)).state;
      return state.messages > 0 ? Date.parse(state.last_ts) : 0;
    });
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    for (const n of this.nodes) rmSync(n.storeDir, { recursive: true, force: true });
  }
}

export interface StoredEvent {
  seq: number;
  subject: string;
  id: string;
  tenantid?: string;
  /** When the stream leader stored it (ms since the epoch). */
  storedAtMs: number;
}

/**
 * Every message of `stream` from sequence 1, with the time it was stored (the whole stream).
 * An ordered consumer's iterator can end early (a reset under load, a node still catching up):
 * a read that stops short of the stream's last sequence, or holds fewer messages than the stream
 * says it has, is thrown away and read again, so a partial read is never taken for lost events.
 */
export async function readStream(urls: string[], stream: string, attempts = 5): Promise<StoredEvent[]> {
  let last = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const read = await readStreamOnce(urls, stream).catch((err: Error) => ({ error: err.message }));
    if (!("error" in read) && read.complete) return read.events;
    last = "error" in read ? read.error : `read ${read.events.length} of ${read.expected} messages (last sequence ${read.lastSeq})`;
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
  throw new Error(`stream ${stream} could not be read whole in ${attempts} attempts: ${last}`);
}

async function readStreamOnce(urls: string[], stream: string): Promise<{ events: StoredEvent[]; complete: boolean; expected: number; lastSeq: number }> {
  const nc = await connect({ servers: urls, timeout: 2000 });
  try {
    const jsm = await jetstreamManager(nc);
    const state = (await jsm.streams.info(stream)).state;
    if (state.last_seq === 0) return { events: [], complete: true, expected: 0, lastSeq: 0 };
    const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
    const out: StoredEvent[] = [];
    let reachedEnd = false;
    const messages = await consumer.consume({ max_messages: 1000 });
    for await (const m of messages) {
      const event = m.json<{ id: string; tenantid?: string }>();
      out.push({ seq: m.seq, subject: m.subject, id: event.id, tenantid: event.tenantid, storedAtMs: m.info.timestampNanos / 1e6 });
      if (m.seq >= state.last_seq) {
        reachedEnd = true;
        break;
      }
    }
    await consumer.delete().catch(() => undefined);
    return { events: out, complete: reachedEnd && out.length >= state.messages, expected: state.messages, lastSeq: state.last_seq };
  } finally {
    await nc.close();
  }
}

/**
 * How long the stream stored nothing around a fault at `atMs`: from the last message stored before
 * it to the first stored after it (the load keeps writing, so this is the time without publishing).
 */
export function outageMs(events: StoredEvent[], atMs: number): number {
  const before = events.filter((e) => e.storedAtMs <= atMs).map((e) => e.storedAtMs);
  const after = events.filter((e) => e.storedAtMs > atMs).map((e) => e.storedAtMs);
  if (after.length === 0) return Number.POSITIVE_INFINITY;
  return Math.min(...after) - (before.length ? Math.max(...before) : atMs);
}
