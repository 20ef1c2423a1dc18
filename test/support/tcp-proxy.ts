import { createServer, connect, type Server, type Socket } from "node:net";

export type ProxyMode = "forward" | "down" | "blackhole" | "hold";

/**
 * A TCP proxy on 127.0.0.1 in front of PostgreSQL, so a test can make the database fail the ways a
 * network does, without touching the shared server:
 * - `cut()`: every open connection is reset (RST) at once; new ones go through as before;
 * - `down()`: open connections are reset and new ones are reset as soon as they arrive (a stopped
 *   or restarting database: the client learns at once);
 * - `blackhole()`: open connections stop carrying bytes and new ones are accepted but never
 *   forwarded (packets dropped: the client learns nothing until its own timeout);
 * - `hold()`: new connections are accepted and parked, their bytes unread (a slow network);
 * - `restore()`: forwarding again (blackholed connections are reset: they are dead on both ends;
 *   parked ones are forwarded, late).
 */
export class TcpProxy {
  private server: Server | null = null;
  private mode: ProxyMode = "forward";
  private readonly pairs = new Set<{ client: Socket; upstream: Socket | null }>();
  private parked: Socket[] = [];
  port = 0;
  /** Connections accepted so far (each pool client, the relay's leader connection…). */
  accepted = 0;

  /** Connections being forwarded now (parked ones not counted). */
  get open(): number {
    return this.pairs.size;
  }

  constructor(
    private targetHost: string,
    private targetPort: number,
  ) {}

  /**
   * Points new connections at another server (a promoted standby), as a floating address or a
   * proxy's primary check would; open ones are left to die with the server they reached.
   */
  retarget(host: string, port: number): void {
    this.targetHost = host;
    this.targetPort = port;
  }

  /** A proxy in front of the database of `url`; `proxiedUrl` is the same URL through it. */
  static async for(url: string): Promise<TcpProxy> {
    const u = new URL(url);
    const proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
    await proxy.start();
    return proxy;
  }

  proxiedUrl(url: string): string {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    for (const pair of [...this.pairs]) this.reset(pair);
  }

  down(): void {
    this.mode = "down";
    this.cut();
  }

  blackhole(): void {
    this.mode = "blackhole";
    for (const pair of this.pairs) {
      // Stop both directions; bytes already read are dropped, as a dead link would.
      pair.client.unpipe();
      pair.upstream?.unpipe();
      pair.client.removeAllListeners("data");
      pair.upstream?.removeAllListeners("data");
      pair.client.on("data", () => undefined);
      pair.upstream?.on("data", () => undefined);
    }
  }

  hold(): void {
    this.mode = "hold";
  }

  restore(): void {
    const held = this.mode === "blackhole";
    this.mode = "forward";
    if (held) this.cut();
    const parked = this.parked;
    this.parked = [];
    for (const client of parked) if (!client.destroyed) this.forward(client);
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    client.on("error", () => undefined);
    if (this.mode === "down") {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === "hold") {
      this.parked.push(client);
      return;
    }
    this.forward(client);
  }

  private forward(client: Socket): void {
    const pair: { client: Socket; upstream: Socket | null } = { client, upstream: null };
    this.pairs.add(pair);
    client.on("close", () => this.reset(pair));
    if (this.mode === "blackhole") {
      client.on("data", () => undefined);
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on("error", () => this.reset(pair));
    upstream.on("close", () => this.reset(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private reset(pair: { client: Socket; upstream: Socket | null }): void {
    if (!this.pairs.delete(pair)) return;
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (pair.upstream && !pair.upstream.destroyed) pair.upstream.resetAndDestroy();
  }
}
