/**
 * `npm run bench`: the service (built JS, child process) against a fresh PostgreSQL database,
 * each scenario beside its limit (bare Fastify + raw pg, and pgbench for create), then the
 * embedded PGlite default. Prints figures; asserts nothing. Options: --duration=10
 * --connections=10 --warmup=2 --profile --no-pglite --capture-sql. See BENCHMARKS.md.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import pg from "pg";
import { EmbeddedFhirServer } from "../src/adapters/fhir/embedded-fhir-server.js";
import { openDatabase } from "../src/adapters/postgres/connection/database.js";
import { cpuSeconds, freePort, memoryMb, sampleRss, startChild, type Child } from "./child.js";
import { captureSql } from "./capture-run.js";
import { drive, type LoadOptions } from "./load.js";
import { driveAtRate } from "./steady-load.js";
import { mintJoinTokens } from "./join-scenarios.js";
import { runPgbench } from "./pgbench.js";
import { summariseProfile } from "./profile-summary.js";
import { combine, finalLine, header, pgbenchRow, ratioLine, row, type Measured, type ScenarioFigures } from "./report.js";
import { scenarios, type BenchContext, type Scenario } from "./scenarios.js";
import { leastPgbench } from "./least-work.js";
import { seedSql, tenantId, type SeedSize } from "./seed.js";
import { buildService, createBenchDatabase, licenseTenants, staffToken, startService } from "./service.js";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    rounds: { type: "string", default: "2" },
    only: { type: "string", default: "" },
    sessions: { type: "string", default: "100000" },
    tenants: { type: "string", default: "100" },
    profile: { type: "boolean", default: false },
    "trace-gc": { type: "boolean", default: false },
    "no-pglite": { type: "boolean", default: false },
    "capture-sql": { type: "boolean", default: false },
    // The service as the database owner (a superuser): row-level security bypassed, for comparison.
    "as-owner": { type: "boolean", default: false },
  },
});
const rounds = Math.max(1, Number(args.rounds));
/** Each scenario's time is split into rounds, service and limit alternating, so drift in the
 * machine's load (other jobs share these 2 cores) hits both sides alike. */
const load: LoadOptions = { connections: Number(args.connections), durationSeconds: Number(args.duration) / rounds };
const selected = scenarios.filter((s) => !args.only || args.only.split(",").includes(s.key));
const warmup: LoadOptions = { connections: load.connections, durationSeconds: Number(args.warmup) };
const size: SeedSize = { sessions: Number(args.sessions), tenants: Number(args.tenants) };
/** The service's pool (openDatabase's default); the limit gets the same. */
const POOL_SIZE = 10;
const temp: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temp.push(dir);
  return dir;
};

async function context(): Promise<BenchContext> {
  const tokens = new Map<string, string>();
  for (let i = 0; i < size.tenants; i++) tokens.set(tenantId(i), await staffToken(tenantId(i), ["scheduler"]));
  return { size, tokens, joinTokens: mintJoinTokens(size) };
}

async function measureOnce(child: Child, scenario: Scenario, ctx: BenchContext): Promise<Measured> {
  const rss = sampleRss(child.pid);
  const cpuBefore = cpuSeconds(child.pid);
  const result = await drive(child.url, () => scenario.request(ctx), load);
  const cpuMsPerRequest = (1000 * (cpuSeconds(child.pid) - cpuBefore)) / Math.max(1, result.requests);
  return { ...result, peakRssMb: rss.stop(), cpuMsPerRequest };
}

/** Warms every server up, then runs the rounds alternating between them. */
async function measure(children: Child[], scenario: Scenario, ctx: BenchContext): Promise<Measured[]> {
  for (const child of children) await drive(child.url, () => scenario.request(ctx), warmup);
  const runs: Measured[][] = children.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, child] of children.entries()) runs[i]?.push(await measureOnce(child, scenario, ctx));
  }
  return runs.map(combine);
}

async function postgresRun(ctx: BenchContext): Promise<ScenarioFigures[]> {
  const db = await createBenchDatabase();
  const profileDir = tempDir("vcs-prof-");
  // As in production, FHIR is a server of its own (here in the bench process, as in the tests),
  // not the dev default embedded in the service.
  const fhir = new EmbeddedFhirServer();
  const service = await startService({
    fhirBaseUrl: await fhir.start(),
    ...(args["as-owner"] ? { databaseUrl: db.url } : { databaseUrl: db.serviceUrl, migrationUrl: db.url }),
    dataDir: tempDir("vcs-bench-"),
    nodeFlags: [...(args.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), ...(args["trace-gc"] ? ["--trace-gc"] : [])],
  });
  let limit: Child | undefined;
  let unaudited: Child | undefined;
  let least: Child | undefined;
  try {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const seeded = Date.now();
    for (const statement of seedSql(size)) await client.query(statement);
    await client.end();
    console.log(`seeded ${size.sessions} sessions across ${size.tenants} tenants in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
    await licenseTenants(service.url, [...ctx.tokens.keys()]);
    // The same-statements limits connect as the service does (its role, under row-level security).
    const limitEnv = { PATH: process.env.PATH, DATABASE_URL: args["as-owner"] ? db.url : db.serviceUrl, POOL_SIZE: String(POOL_SIZE), NODE_ENV: "production" };
    const limitArgs = ["--import", "tsx", "bench/limit-server.ts"];
    limit = await startChild("limit", process.execPath, limitArgs, limitEnv, await freePort());
    // The same limit without the read audit's INSERT: what auditing every read costs.
    unaudited = await startChild("limit without audit", process.execPath, limitArgs, { ...limitEnv, SKIP_AUDIT: "1" }, await freePort());
    // The second limit: the least work for the same effect (bench/least-work.ts), one statement a request.
    // The least work for the effect needs no row-level security: the owner's connection, one statement.
    least = await startChild("least-work limit", process.execPath, limitArgs, { ...limitEnv, DATABASE_URL: db.url, LEAST: "1" }, await freePort());
    const leastScripts = leastPgbench(size);
    console.log(
      `\nPostgreSQL, ${load.connections} connections, ${rounds} × ${load.durationSeconds} s per server and scenario ` +
        `(alternating) after ${warmup.durationSeconds} s warm-up, pool ${POOL_SIZE}; p50 = mean of rounds, p99 = worst round`,
    );
    console.log(header());
    const figures: ScenarioFigures[] = [];
    const drained = async () => {
      const waited = await waitForOutboxDrained(db.url);
      if (waited > 1000) console.log(`  (waited ${(waited / 1000).toFixed(1)} s for the service's relay to drain the outbox)`);
    };
    for (const scenario of selected) {
      // Each scenario starts in a steady state: not while the relay still drains the audit rows
      // the previous scenario (service and limits alike) wrote to the shared outbox.
      await drained();
      const [onService, onLimit, onLeast, withoutAudit] = await measure(scenario.auditedRead ? [service, limit, least, unaudited] : [service, limit, least], scenario, ctx);
      if (!onService || !onLimit || !onLeast) throw new Error("no figures");
      const f: ScenarioFigures = { key: scenario.key, name: scenario.name, service: onService, limit: onLimit, least: onLeast };
      console.log(row(scenario.name, "service (node dist/main.js)", f.service));
      console.log(row("", "limit: bare Fastify + pg", onLimit, false));
      console.log(row("", "least work: bare, 1 statement", onLeast, false));
      if (withoutAudit) {
        const share = 1 - onLimit.rps / withoutAudit.rps;
        console.log(row("", "limit without audit INSERT", withoutAudit, false) + `   (audit costs ${(100 * share).toFixed(0)} % of the limit)`);
      }
      if (scenario.p99AtHalfPeak) {
        const rate = Math.max(1, Math.round(onService.rps / 2));
        await drained();
        // Open loop, evenly spaced (steady-load.ts): autocannon's rate limit sends bursts.
        f.halfPeak = { ...(await driveAtRate(service.url, () => scenario.request(ctx), { ...load, durationSeconds: Number(args.duration), rate })), rate };
        console.log(row("", `service at ${rate} req/s (half)`, { ...f.halfPeak, peakRssMb: 0, cpuMsPerRequest: NaN }, false));
        // The limit at the same steady rate: a tail both share comes from the machine or the database.
        const limitHalf = await driveAtRate(limit.url, () => scenario.request(ctx), { ...load, durationSeconds: Number(args.duration), rate });
        console.log(row("", `limit at ${rate} req/s (same)`, { ...limitHalf, peakRssMb: 0, cpuMsPerRequest: NaN }, false));
        // And at half of its own peak: the same share of its capacity as the service's run. On
        // 2 shared cores the tail grows with the load on the machine (client, server, PostgreSQL);
        // this line tells a tail of the service's own from one any server at that share has.
        const limitRate = Math.max(1, Math.round(onLimit.rps / 2));
        f.limitOwnHalf = { ...(await driveAtRate(limit.url, () => scenario.request(ctx), { ...load, durationSeconds: Number(args.duration), rate: limitRate })), rate: limitRate };
        console.log(row("", `limit at ${limitRate} req/s (half its own)`, { ...f.limitOwnHalf, peakRssMb: 0, cpuMsPerRequest: NaN }, false));
      }
      if (scenario.pgbench) {
        f.pgbench = await runPgbench(db.url, scenario.pgbench, load.connections, Math.round(Number(args.duration)));
        console.log(pgbenchRow("", "limit: pgbench -f", f.pgbench));
      }
      await drained();
      f.leastPgbench = await runPgbench(db.url, leastScripts[scenario.key], load.connections, Math.round(Number(args.duration)));
      console.log(pgbenchRow("", "least work: pgbench -f", f.leastPgbench));
      figures.push(f);
    }
    console.log(`service VmHWM (lifetime peak RSS): ${memoryMb(service.pid, "VmHWM").toFixed(0)} MB`);
    return figures;
  } finally {
    await limit?.stop();
    await unaudited?.stop();
    await least?.stop();
    await service.stop();
    await fhir.stop();
    await db.drop();
    if (args.profile) {
      for (const file of readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"))) {
        console.log(`\nCPU profile of the service under all PostgreSQL runs (${join(profileDir, file)}):`);
        console.log(summariseProfile(join(profileDir, file), 25).join("\n"));
        temp.splice(temp.indexOf(profileDir), 1);
      }
    }
  }
}

/** The embedded default: no DATABASE_URL, PGlite in a temp DATA_DIR, seeded the same way. */
async function pgliteRun(ctx: BenchContext): Promise<void> {
  const dataDir = tempDir("vcs-bench-pglite-");
  const database = await openDatabase({ dataDir, migrate: true });
  for (const statement of seedSql(size)) await database.db.execute(sql.raw(statement));
  await database.close();
  const service = await startService({ dataDir });
  try {
    await licenseTenants(service.url, [...ctx.tokens.keys()]);
    console.log(`\nPGlite (embedded default), same load; no limit, no target`);
    console.log(header());
    for (const scenario of selected) {
      const [m] = await measure([service], scenario, ctx);
      if (!m) throw new Error("no figures");
      console.log(row(scenario.name, "service (PGlite)", m));
    }
    console.log(`service VmHWM (lifetime peak RSS): ${memoryMb(service.pid, "VmHWM").toFixed(0)} MB`);
  } finally {
    await service.stop();
  }
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}`);
  // An experiment's settings are part of its figures (bench/service.ts).
  if (process.env.BENCH_SERVICE_ENV) console.log(`BENCH_SERVICE_ENV=${process.env.BENCH_SERVICE_ENV} (the service runs with these settings changed)`);
  buildService();
  const ctx = await context();
  if (args["capture-sql"]) {
    await captureSql(ctx, size, POOL_SIZE);
    return;
  }
  const figures = await postgresRun(ctx);
  if (!args["no-pglite"]) await pgliteRun(ctx);
  console.log("\nratios (service req/s over the bare Fastify + pg limit; over the least-work limit):");
  for (const f of figures) console.log(ratioLine(f));
  console.log(finalLine(figures));
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const dir of temp) rmSync(dir, { recursive: true, force: true });
  });

/**
 * The limits write their read audits to the same outbox table, and only the service's relay drains
 * it (to the dev log sink, as in the embedded default): wait until nothing is pending, so a
 * scenario is not measured while the relay works off another scenario's backlog. Returns ms waited.
 */
async function waitForOutboxDrained(databaseUrl: string, timeoutMs = 180_000): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const started = Date.now();
  try {
    for (;;) {
      const { rows } = await client.query("select count(*)::int as n from virtual_care_outbox where published_at is null");
      if (rows[0].n === 0 || Date.now() - started > timeoutMs) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await client.end();
  }
}
