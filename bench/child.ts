import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** A server the bench started as a child process, measured from the outside like production. */
export interface Child {
  name: string;
  pid: number;
  url: string;
  /** SIGTERM, then wait for the exit (the service closes its pool; --cpu-prof writes its file). */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startChild(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  port: number,
): Promise<Child> {
  const child = spawn(command, args, { env: { ...env, PORT: String(port), HOST: "127.0.0.1" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  // BENCH_CHILD_LOG=<file>: also append everything the child prints (e.g. with --trace-gc).
  const logFile = process.env.BENCH_CHILD_LOG;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
    if (logFile) appendFileSync(logFile, `[${name}] ${chunk.toString()}`);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not answer /healthz within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    name,
    pid: child.pid ?? 0,
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A field of /proc/<pid>/status in MB (VmRSS now, VmHWM the lifetime peak); 0 when unreadable. */
export function memoryMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples VmRSS every 100 ms while a load runs: the peak of that run, not of the process's life. */
export function sampleRss(pid: number): { stop(): number } {
  let peak = memoryMb(pid, "VmRSS");
  const timer = setInterval(() => {
    peak = Math.max(peak, memoryMb(pid, "VmRSS"));
  }, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, memoryMb(pid, "VmRSS"));
    },
  };
}

/** User + system CPU seconds the process has used (/proc/<pid>/stat, clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
