import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort, startChild, type Child } from "./child.js";
import { serverLogPath, statementsDuring } from "./capture-sql.js";
import type { HttpRequest } from "./load.js";
import { scenarios, type BenchContext } from "./scenarios.js";
import { seedSql, type SeedSize } from "./seed.js";
import { adminQuery, createBenchDatabase, licenseTenants, startService } from "./service.js";

/**
 * The outbox relay's own statements (its leader connection, a background loop marking rows
 * published): they follow every write but belong to no request, so the comparison leaves them out.
 */
const isRelay = (statement: string) => /"published_at" is null|set "published_at"/.test(statement);

async function send(child: Child, r: HttpRequest): Promise<number> {
  const res = await fetch(child.url + r.path, { method: r.method, headers: r.headers, body: r.body });
  await res.arrayBuffer();
  return res.status;
}

/**
 * `npm run bench -- --capture-sql`: one request per scenario to the service and to the limit,
 * with PostgreSQL logging every statement of the bench database; prints both lists and whether
 * they are the same statements in the same order (parameters aside).
 */
export async function captureSql(ctx: BenchContext, size: SeedSize, poolSize: number): Promise<void> {
  const logPath = await serverLogPath();
  const db = await createBenchDatabase();
  await adminQuery(`alter database ${db.name} set log_statement = 'all'`);
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-capture-"));
  const service = await startService({ databaseUrl: db.serviceUrl, migrationUrl: db.url, dataDir });
  const env = { PATH: process.env.PATH, DATABASE_URL: db.serviceUrl, POOL_SIZE: String(poolSize) };
  const limit = await startChild("limit", process.execPath, ["--import", "tsx", "bench/limit-server.ts"], env, await freePort());
  let differ = 0;
  try {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    for (const statement of seedSql(size)) await client.query(statement);
    await client.end();
    await licenseTenants(service.url, [...ctx.tokens.keys()]);
    for (const scenario of scenarios) {
      const request = scenario.request(ctx);
      let status = 0;
      let fromService = await statementsDuring(logPath, db.name, async () => {
        status = await send(service, request);
      });
      let fromLimit = await statementsDuring(logPath, db.name, async () => {
        await send(limit, scenario.request(ctx));
      });
      const relayed = fromService.filter(isRelay).length + fromLimit.filter(isRelay).length;
      fromService = fromService.filter((s) => !isRelay(s));
      fromLimit = fromLimit.filter((s) => !isRelay(s));
      // The tenant travels as a literal in the BEGIN (tenant-scope.ts); each side's request picked its own.
      const text = (s: string) => s.replace(/set_config\('app\.tenant_id', '[^']*'/, "set_config('app.tenant_id', <tenant>");
      const same = fromService.length === fromLimit.length && fromService.every((s, i) => text(s) === text(fromLimit[i] ?? ""));
      if (!same) differ += 1;
      console.log(`\n## ${scenario.name}: service answered ${status}; ${fromService.length} statements; limit ${same ? "sends the same" : "DIFFERS"}` + (relayed ? ` (${relayed} outbox-relay statements left out)` : ""));
      fromService.forEach((s, i) => console.log(`  ${i + 1}. ${s}`));
      if (!same) fromLimit.forEach((s, i) => console.log(`  limit ${i + 1}. ${s}`));
    }
  } finally {
    await limit.stop();
    await service.stop();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(differ === 0 ? "\ncapture-sql: every limit sends the service's statements" : `\ncapture-sql: ${differ} scenario(s) differ`);
  if (differ > 0) process.exitCode = 1;
}
