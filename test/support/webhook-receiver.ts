import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  contentType: string;
  traceparent: string | undefined;
  /** The raw body, as signed. */
  body: string;
  /** The parsed body when `standardwebhooks` verified the signature; the error otherwise. */
  verified: { ok: true; event: Record<string, unknown> } | { ok: false; error: string };
}

/**
 * A tenant's webhook receiver as an integrator would write one: it verifies every request with
 * the Standard Webhooks reference library (`standardwebhooks`) against the secret the tenant
 * config handed out, and answers what the test tells it to.
 */
export class WebhookReceiver {
  private server: Server | null = null;
  readonly received: ReceivedWebhook[] = [];
  secret = "";
  port = 0;
  /** The status to answer a request with (default 200). */
  answer: (w: ReceivedWebhook, req: IncomingMessage) => number | { status: number; headers: Record<string, string> } = () => 200;
  /** How long each answer takes (a slow receiver keeps deliveries in flight). */
  delayMs = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Starts listening (on the same port again after a stop, when it had one). */
  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
  }

  /** Verified deliveries' events, first arrival of each webhook-id only (a receiver drops duplicates by id). */
  events(): Array<Record<string, unknown>> {
    const seen = new Set<string>();
    const out: Array<Record<string, unknown>> = [];
    for (const w of this.received) {
      if (!w.verified.ok || seen.has(w.id)) continue;
      seen.add(w.id);
      out.push(w.verified.event);
    }
    return out;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string) => String(req.headers[name] ?? "");
      const w: ReceivedWebhook = {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        contentType: header("content-type"),
        traceparent: req.headers.traceparent as string | undefined,
        body,
        verified: this.verify(body, req),
      };
      this.received.push(w);
      const answer = this.answer(w, req);
      const { status, headers } = typeof answer === "number" ? { status: answer, headers: {} } : answer;
      setTimeout(() => {
        res.writeHead(status, headers);
        res.end();
      }, this.delayMs);
    });
  }

  private verify(body: string, req: IncomingMessage): ReceivedWebhook["verified"] {
    try {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      return { ok: true, event: new Webhook(this.secret).verify(body, headers) as Record<string, unknown> };
    } catch (err) {
      return { ok: false, error: String(err) };
    }
  }
}
