import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export interface PgbenchResult {
  tps: number;
  latencyAvgMs: number;
  failed: number;
}

/** `pgbench -f script` at the bench's concurrency and duration; extended protocol like node-postgres. */
export async function runPgbench(databaseUrl: string, script: string, clients: number, seconds: number): Promise<PgbenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "vcs-pgbench-"));
  const file = join(dir, "script.sql");
  writeFileSync(file, script);
  try {
    const args = ["-n", "-M", "extended", "-f", file, "-c", String(clients), "-j", String(Math.min(clients, 2)), "-T", String(seconds), databaseUrl];
    const { stdout } = await promisify(execFile)(process.env.PGBENCH ?? "/usr/bin/pgbench", args, { maxBuffer: 1 << 20 });
    const number = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
    return {
      tps: number(/tps = ([\d.]+)/),
      latencyAvgMs: number(/latency average = ([\d.]+) ms/),
      failed: number(/number of failed transactions: (\d+)/) || 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
