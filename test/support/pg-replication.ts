import { execFile } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { eventually, freePort } from "./nats.js";

const run = promisify(execFile);

/** The machine's PostgreSQL binaries (Debian: /usr/lib/postgresql/<major>/bin), newest major. */
function binDir(): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, "bin", "initdb"))) : [];
  if (majors.length === 0) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install -y postgresql)");
  return join(root, majors.sort((a, b) => Number(b) - Number(a))[0]!, "bin");
}

/** initdb refuses root: as root the clusters are made and run as the OS user postgres. */
const asRoot = process.getuid?.() === 0;
async function pgBin(tool: string, args: string[]): Promise<string> {
  const bin = join(binDir(), tool);
  const { stdout } = asRoot ? await run("runuser", ["-u", "postgres", "--", bin, ...args]) : await run(bin, args);
  return stdout;
}

function ownDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (asRoot) {
    const pw = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
    if (!pw) throw new Error("running as root needs the OS user postgres (Debian's postgresql package makes it)");
    const [, , uid, gid] = pw.split(":");
    chownSync(dir, Number(uid), Number(gid));
  }
  return dir;
}

/** One PostgreSQL cluster of the test's own (own port, own data directory in a temp folder). */
export class PgNode {
  private constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly parentDir: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  urlOf(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * A new primary. fsync is off: the faults here are process crashes (SIGKILL), which the OS page
   * cache survives, so it changes nothing they show and keeps the suite fast; a machine crash is
   * another matter (docs/operations.md).
   */
  static async primary(name: string): Promise<PgNode> {
    const parent = ownDir("vcs-pg-");
    const node = new PgNode(name, await freePort(), join(parent, "data"), parent);
    await pgBin("initdb", ["-D", node.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    appendFileSync(
      join(node.dataDir, "postgresql.conf"),
      [
        `port = ${node.port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${parent}'`,
        "wal_level = replica",
        "max_wal_senders = 5",
        "hot_standby = on",
        "fsync = off",
        "max_connections = 60",
        "synchronous_commit = on",
        "",
      ].join("\n"),
    );
    await node.start();
    return node;
  }

  /**
   * A streaming standby of `primary`, made by pg_basebackup, known to it as `name`. With
   * `replicationPort` it streams through that port (a proxy the test can stall) instead.
   */
  static async standbyOf(primary: PgNode, name: string, replicationPort = primary.port): Promise<PgNode> {
    const parent = ownDir("vcs-pg-");
    const node = new PgNode(name, await freePort(), join(parent, "data"), parent);
    await pgBin("pg_basebackup", ["-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres", "-D", node.dataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync"]);
    appendFileSync(
      join(node.dataDir, "postgresql.auto.conf"),
      [
        `port = ${node.port}`,
        `unix_socket_directories = '${parent}'`,
        `primary_conninfo = 'host=127.0.0.1 port=${replicationPort} user=postgres application_name=${name}'`,
        // Once promoted it has no standby of its own: waiting for one would stop every commit.
        "synchronous_standby_names = ''",
        "",
      ].join("\n"),
    );
    await node.start();
    return node;
  }

  /**
   * From now on a commit returns once `standby` has flushed its WAL (synchronous_commit = on).
   * Set once the standby streams: before, every commit would wait for it.
   */
  async requireSynchronousStandby(standby: string): Promise<void> {
    await this.query("postgres", `alter system set synchronous_standby_names = '${standby}'`);
    await this.query("postgres", "select pg_reload_conf()");
  }

  async start(): Promise<void> {
    await pgBin("pg_ctl", ["-D", this.dataDir, "-l", join(this.parentDir, "server.log"), "-w", "-t", "60", "start"]);
  }

  /** The postmaster and every backend SIGKILLed at once: the primary is lost as in a crash. */
  killHard(): void {
    const pidFile = join(this.dataDir, "postmaster.pid");
    if (!existsSync(pidFile)) return;
    const postmaster = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    const children = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after ")".
          const stat = readFileSync(`/proc/${d}/stat`, "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    for (const pid of [postmaster, ...children]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }

  /** pg_ctl promote: the standby leaves recovery and accepts writes. */
  async promote(): Promise<void> {
    await pgBin("pg_ctl", ["-D", this.dataDir, "-w", "-t", "60", "promote"]);
  }

  /** Resolves once a write commits here (the node is a primary that accepts writes). */
  async waitWritable(timeoutMs = 30_000): Promise<void> {
    await eventually(
      `${this.name} to accept writes`,
      async () => {
        const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
        c.on("error", () => undefined);
        try {
          await c.connect();
          const r = await c.query("select pg_is_in_recovery() as standby");
          if (r.rows[0].standby) return false;
          await c.query("create temporary table writable_probe (x int)");
          return true;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      timeoutMs,
      20,
    );
  }

  async query<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const c = new pg.Client({ connectionString: this.urlOf(database) });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  /** Stops the server if it runs (immediate mode) and removes its folder. */
  async destroy(): Promise<void> {
    this.killHard();
    rmSync(this.parentDir, { recursive: true, force: true });
  }
}
