import { spawn, type ChildProcess } from "node:child_process";
import { KMS_KEY, STAFF_SECRET, TEST_JOIN_TOKEN_KEYS } from "./app.js";
import { eventually, freePort } from "./nats.js";
import { stopProcess } from "./process.js";

/**
 * The real service as a child process (`node --import tsx src/main.ts`), for tests that kill it.
 * Its JSON log lines are kept so a test can see, e.g., which replica leads the relay.
 */
export class ServiceProcess {
  private proc: ChildProcess | null = null;
  readonly logs: Array<Record<string, unknown>> = [];
  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  /** Where the current run's lines begin in `logs` (they are kept across restarts). */
  private firstLogOfRun = 0;

  /** The last few KB the process wrote to stderr (why it died, when it did). */
  stderr = "";

  /** Starts the service; unless `waitReady` is false, resolves once /readyz answers 200. */
  static async start(env: Record<string, string>, options: { waitReady?: boolean } = {}): Promise<ServiceProcess> {
    const s = new ServiceProcess(await freePort(), env);
    await s.start(options.waitReady ?? true);
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The exit code once the process ended by itself (null while it runs). */
  get exitCode(): number | null {
    return this.proc?.exitCode ?? null;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null;
  }

  async start(waitReady = true): Promise<void> {
    // A restarted process begins on standby: what the previous one logged no longer holds.
    this.firstLogOfRun = this.logs.length;
    const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        PORT: String(this.port),
        HOST: "127.0.0.1",
        AUTH_HS256_SECRET: STAFF_SECRET,
        KMS_MASTER_KEY: KMS_KEY,
        JOIN_TOKEN_KEYS: TEST_JOIN_TOKEN_KEYS,
        RATE_LIMIT_ANONYMOUS_PER_MIN: "0",
        RATE_LIMIT_PARTICIPANT_PER_MIN: "0",
        RATE_LIMIT_TENANT_PER_MIN: "0",
        // Load from one address (HAProxy, test clients): the per-address cap is for the open internet.
        HTTP_MAX_CONNECTIONS_PER_ADDRESS: "0",
        VIDEO_HEALTH_CACHE_MS: "0",
        VIDEO_HEALTH_ALLOW_PRIVATE: "true",
        LOG_LEVEL: "info",
        RELAY_POLL_INTERVAL_MS: "500",
        ...this.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc = proc;
    let buffer = "";
    proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          /* not a log line */
        }
      }
    });
    proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4096);
    });
    if (!waitReady) return;
    await this.waitReady();
  }

  /** Resolves once /readyz answers 200; fails if the process exits first. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const proc = this.proc!;
    await eventually(
      `service on port ${this.port} to be ready`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`service exited with ${proc.exitCode}`);
        const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
        return res?.status === 200;
      },
      timeoutMs,
      100,
    );
  }

  /** Sends a signal and resolves with the exit code once the process has ended by itself. */
  async signalAndWait(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return p?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => p.once("exit", (code) => resolve(code)));
    p.kill(signal);
    return Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs))]);
  }

  /** kill -9 (default) or a graceful SIGTERM; resolves when the process is gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await stopProcess(p, signal);
  }

  isLeader(): boolean {
    const last = this.logs.slice(this.firstLogOfRun).reverse().find((l) => l.component === "outbox-relay" && typeof l.leader === "boolean");
    return last?.leader === true;
  }

  async request(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }
}
