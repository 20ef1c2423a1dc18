import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { loadEventCatalog } from "./event-catalog.js";
import { eventually } from "./eventually.js";
import { stopProcess } from "./process.js";

export interface StreamRecord {
  seq: number;
  subject: string;
  msgId: string | undefined;
  contentType: string | undefined;
  /** The CloudEvent as published (structured JSON). */
  event: { id: string; source: string; type: string; subject?: string; tenantid?: string; traceparent?: string; time?: string; data: Record<string, unknown>; specversion: string; datacontenttype?: string; dataschema?: string };
}

/** Where it began; suites that import it from here keep doing so. */
export { eventually };

/**
 * Reads a stream from the position it had when the reader was made (or from a given sequence).
 * Callers still pick their own messages (tenant, event ids): suites publish more than one test's.
 * Every message read is checked against the event catalog (docs/asyncapi.yaml), so any suite that
 * captures an event also proves it is what the catalog promises consumers.
 */
export class StreamReader {
  private constructor(
    private readonly nc: NatsConnection,
    readonly stream: string,
    private readonly startSeq: number,
    private readonly checkCatalog = true,
  ) {}

  /** `checkCatalog: false` only for synthetic load events (OutboxLoad), which are not the service's. */
  static async at(url: string, stream: string, options: { checkCatalog?: boolean } = {}): Promise<StreamReader> {
    const nc = await connect({ servers: url });
    const jsm = await jetstreamManager(nc);
    const last = await jsm.streams
      .info(stream)
      .then((i) => i.state.last_seq)
      .catch(() => 0);
    return new StreamReader(nc, stream, last + 1, options.checkCatalog ?? true);
  }

  /** A reader from a given stream sequence (1: the whole stream). */
  static async from(url: string, stream: string, startSeq: number): Promise<StreamReader> {
    return new StreamReader(await connect({ servers: url }), stream, startSeq);
  }

  /** Every message stored since the reader was made, in stream order. */
  async read(): Promise<StreamRecord[]> {
    const jsm = await jetstreamManager(this.nc);
    const lastSeq = await jsm.streams
      .info(this.stream)
      .then((i) => i.state.last_seq)
      .catch(() => 0);
    if (lastSeq < this.startSeq) return [];
    const consumer = await jetstream(this.nc).consumers.get(this.stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.startSeq,
    });
    const out: StreamRecord[] = [];
    const messages = await consumer.consume({ max_messages: 1000 });
    for await (const m of messages) {
      out.push({
        seq: m.seq,
        subject: m.subject,
        msgId: m.headers?.get("Nats-Msg-Id") || undefined,
        contentType: m.headers?.get("content-type") || undefined,
        event: m.json(),
      });
      if (m.seq >= lastSeq) break;
    }
    await consumer.delete().catch(() => undefined);
    if (this.checkCatalog) {
      const catalog = await loadEventCatalog();
      const broken = out.flatMap((r) => catalog.errors(r.subject, r.event).map((e) => `${r.subject} ${e}`));
      if (broken.length > 0) throw new Error(`events on the wire break docs/asyncapi.yaml: ${broken.slice(0, 5).join("; ")}`);
    }
    return out;
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

/** Publishes raw bytes to a subject of stream SCHEDULING, as the scheduling service would. */
export async function publishRaw(url: string, subject: string, body: string, msgId?: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const h = headers();
    h.set("content-type", "application/cloudevents+json; charset=utf-8");
    await jetstream(nc).publish(subject, body, { headers: h, ...(msgId ? { msgID: msgId } : {}) });
  } finally {
    await nc.close();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = new Socket();
    sock.once("connect", () => (sock.destroy(), resolve(true)));
    sock.once("error", () => resolve(false));
    sock.connect(port, "127.0.0.1");
  });

/**
 * A nats-server of the suite's own (free port, own store directory in a temp folder): every suite
 * that talks to NATS starts one. The stream names are fixed by the contract (VIRTUAL_CARE, AUDIT,
 * SCHEDULING), and the shared server on 127.0.0.1:4222 carries other developers' services: a suite
 * there would consume their events and they ours, and its durable consumers would stay behind.
 * Here the streams and consumers go with the server: destroy() stops it and removes the store.
 * The store survives stop/start like a real restart.
 */
export class PrivateNats {
  private proc: ChildProcess | null = null;
  readonly storeDir = mkdtempSync(join(tmpdir(), "vcs-nats-"));
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateNats> {
    const n = new PrivateNats(await freePort());
    await n.start();
    return n;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const proc = spawn("/usr/sbin/nats-server", ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.storeDir], {
      stdio: "ignore",
    });
    this.proc = proc;
    // A worker that exits without its afterAll (a crash) must not leave a server behind.
    const killOnExit = () => proc.kill("SIGKILL");
    process.once("exit", killOnExit);
    proc.once("exit", () => process.off("exit", killOnExit));
    await eventually("the private nats-server to listen", () => portOpen(this.port), 15_000, 50);
  }

  /** SIGKILL by default: NATS "goes away" as in a crash. */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await stopProcess(p, signal);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
