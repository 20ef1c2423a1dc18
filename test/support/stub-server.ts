import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A small local HTTP server for what cannot run here (a Jitsi bridge's health endpoint). */
export class StubServer {
  private server: Server | null = null;
  url = "";
  hits = 0;

  constructor(private handler: (req: IncomingMessage, res: ServerResponse) => void) {}

  respondWith(handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.handler = handler;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.hits += 1;
      this.handler(req, res);
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
  }
}

/** Jitsi's `/about/health` answers 200 with an empty JSON body when the bridge is fine. */
export const healthyJitsi = () =>
  new StubServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
