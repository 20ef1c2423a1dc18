import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, freePort } from "./nats.js";
import { stopProcess } from "./process.js";

export const HAPROXY = process.env.HAPROXY_BIN ?? "/usr/sbin/haproxy";

/** Fails (never skips) where HAProxy is not installed, saying how to install it. */
export function assertHaproxyInstalled(): void {
  if (!existsSync(HAPROXY)) {
    throw new Error(`${HAPROXY} is missing: this test needs Debian's haproxy (apt-get install -y haproxy; .ci/run installs it when missing)`);
  }
}

export interface HaproxyTiming {
  /** Health check interval on /readyz. */
  checkIntervalMs: number;
  /** Failed checks before a server leaves the rotation; passed checks before it comes back. */
  fall: number;
  rise: number;
}

/**
 * Debian's HAProxy in front of the replicas, as an operator would run it: round robin, an HTTP
 * health check on /readyz, and a stats page the test reads to see which servers are UP. The
 * configuration is written into a temp folder of its own; `stop()` removes it.
 */
export class Haproxy {
  private proc: ChildProcess | null = null;
  private output = "";
  private constructor(
    readonly port: number,
    readonly statsPort: number,
    private readonly dir: string,
  ) {}

  static async start(backends: number[], timing: HaproxyTiming): Promise<Haproxy> {
    assertHaproxyInstalled();
    const h = new Haproxy(await freePort(), await freePort(), mkdtempSync(join(tmpdir(), "vcs-haproxy-")));
    writeFileSync(join(h.dir, "haproxy.cfg"), h.config(backends, timing));
    await h.run();
    return h;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private config(backends: number[], t: HaproxyTiming): string {
    return [
      "global",
      "  maxconn 4096",
      "defaults",
      "  mode http",
      "  timeout connect 2s",
      "  timeout client 30s",
      "  timeout server 30s",
      // A check answered late is a failed check: a busy replica's /readyz (bounded at 2 s by the
      // service) should not take it out when one slow answer happens; `fall` decides that.
      "  timeout check 2s",
      // Retries only where the request cannot have reached a replica (connection refused or not
      // established), on another server: safe for POST too. Nothing that a replica may have
      // processed is ever sent twice.
      "  retries 3",
      "  option redispatch 1",
      "  retry-on conn-failure",
      "frontend api",
      `  bind 127.0.0.1:${this.port}`,
      "  default_backend replicas",
      "backend replicas",
      "  balance roundrobin",
      "  option httpchk GET /readyz",
      "  http-check expect status 200",
      `  default-server inter ${t.checkIntervalMs}ms fall ${t.fall} rise ${t.rise}`,
      ...backends.map((port, i) => `  server r${i} 127.0.0.1:${port} check`),
      "listen stats",
      `  bind 127.0.0.1:${this.statsPort}`,
      "  stats enable",
      "  stats uri /stats",
      "",
    ].join("\n");
  }

  private async run(): Promise<void> {
    // -db: foreground, no daemon; -W not needed (no reloads).
    const proc = spawn(HAPROXY, ["-db", "-f", join(this.dir, "haproxy.cfg")], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString("utf8")).slice(-4096));
    proc.stdout!.on("data", keep);
    proc.stderr!.on("data", keep);
    const killOnExit = () => proc.kill("SIGKILL");
    process.once("exit", killOnExit);
    proc.once("exit", () => process.off("exit", killOnExit));
    await eventually(
      "haproxy to answer its stats page",
      async () => {
        if (proc.exitCode !== null) throw new Error(`haproxy exited with ${proc.exitCode}: ${this.output}`);
        return (await fetch(`http://127.0.0.1:${this.statsPort}/stats;csv`).catch(() => null))?.ok;
      },
      10_000,
      50,
    );
  }

  /** Each server's status as HAProxy sees it now ("UP", "DOWN", "UP 1/2", ...), by server name. */
  async servers(): Promise<Record<string, string>> {
    const csv = await (await fetch(`http://127.0.0.1:${this.statsPort}/stats;csv`)).text();
    const out: Record<string, string> = {};
    for (const line of csv.split("\n")) {
      const cols = line.split(",");
      if (cols[0] === "replicas" && cols[1] !== "BACKEND" && cols[1] !== "FRONTEND") out[cols[1]!] = cols[17]!;
    }
    return out;
  }

  async waitStatus(server: string, status: "UP" | "DOWN", timeoutMs = 30_000): Promise<void> {
    await eventually(`haproxy to see ${server} ${status}`, async () => (await this.servers())[server] === status, timeoutMs, 50);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await stopProcess(p, "SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
