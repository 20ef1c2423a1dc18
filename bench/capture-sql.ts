import { readFileSync, statSync } from "node:fs";
import pg from "pg";
import { ADMIN_URL } from "./service.js";

/**
 * How the limit's statements were found: PostgreSQL's own statement log (log_statement = all,
 * set on the bench database only) while one request of a scenario runs. pg_stat_statements is
 * not loaded on this server, and the log shows the texts exactly as the driver sent them.
 */
export async function serverLogPath(): Promise<string> {
  if (process.env.BENCH_PG_LOG) return process.env.BENCH_PG_LOG;
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    return `/var/log/postgresql/postgresql-${Math.floor(Number(rows[0]?.v) / 10000)}-main.log`;
  } finally {
    await client.end();
  }
}

/** The statements database `dbName` logged while `work` ran, in order, parameters left out. */
export async function statementsDuring(logPath: string, dbName: string, work: () => Promise<void>): Promise<string[]> {
  const offset = statSync(logPath).size;
  await work();
  await new Promise((r) => setTimeout(r, 400));
  const text = readFileSync(logPath).subarray(offset).toString("utf8");
  const marker = `@${dbName} LOG:  `;
  return text
    .split("\n")
    .filter((line) => line.includes(marker))
    .map((line) => line.slice(line.indexOf(marker) + marker.length))
    .map((s) => s.replace(/^execute <unnamed>: /, "").replace(/^statement: /, ""));
}
