/**
 * `npm run bench:push`: how many waiting-room streams one service process holds, and what they
 * cost. Opens N patients' `GET /v1/join/events` streams (default 10,000; `--streams=N`) on the
 * service (built JS, child process, PostgreSQL), then prints: RSS with them open, CPU at idle
 * (nothing happening but keep-alives and re-checks) over `--idle=90` seconds, and admit → event
 * delivered latency p50/p99 for `--admits=200` admissions sent at `--rate=20`/s while every
 * stream stays open. Figures only, no assertions (BENCHMARKS.md, "Push capacity").
 */
import { Agent, request, type IncomingMessage } from "node:http";
import { parseArgs } from "node:util";
import pg from "pg";
import { cpuSeconds, memoryMb } from "./child.js";
import { percentile } from "./report.js";
import { HmacJoinTokenSigner, parseJoinTokenKeys } from "../src/adapters/tokens/hmac-join-token.js";
import { EmbeddedFhirServer } from "../src/adapters/fhir/embedded-fhir-server.js";
import { BENCH_JOIN_TOKEN_KEYS } from "./join-scenarios.js";
import { seededPatient, seedSql, type SeedSize } from "./seed.js";
import { buildService, createBenchDatabase, licenseTenants, staffToken, startService } from "./service.js";

const { values: args } = parseArgs({
  options: {
    streams: { type: "string", default: "10000" },
    // Longer than one re-check period (60 s ± 25 %), so the idle figure includes the re-reads.
    idle: { type: "string", default: "90" },
    admits: { type: "string", default: "200" },
    rate: { type: "string", default: "20" },
  },
});
const streams = Number(args.streams);
const size: SeedSize = { sessions: Math.ceil(streams / 0.6) + 10, tenants: 100 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Stream {
  sessionId: string;
  participantId: string;
  tenantId: string;
  res: IncomingMessage;
  admittedAt?: number;
  onAdmitted?: () => void;
}

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

/** Opens one patient's stream; resolves once its first `status` event (waiting) arrived. */
function open(base: URL, token: string, s: Omit<Stream, "res">): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path: "/v1/join/events", headers: { "x-join-token": token }, agent }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`stream answered ${res.statusCode}`));
        return;
      }
      const stream: Stream = { ...s, res };
      let seen = "";
      let opened = false;
      res.setEncoding("utf8").on("data", (chunk: string) => {
        seen = (seen + chunk).slice(-4096);
        if (!opened && seen.includes('"participantStatus":"waiting"')) {
          opened = true;
          resolve(stream);
        }
        if (stream.admittedAt === undefined && seen.includes('"participantStatus":"admitted"')) {
          stream.admittedAt = performance.now();
          stream.onAdmitted?.();
        }
      });
      res.on("error", () => undefined);
    });
    req.on("error", reject);
    req.end();
  });
}

async function main(): Promise<void> {
  buildService();
  const db = await createBenchDatabase();
  const fhir = new EmbeddedFhirServer();
  const service = await startService({ databaseUrl: db.url, fhirBaseUrl: await fhir.start(), dataDir: "/tmp/vcs-bench-push" });
  const base = new URL(service.url);
  const open_: Stream[] = [];
  try {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    for (const statement of seedSql(size)) await client.query(statement);
    // Every scheduled session's patient waits (the seed puts only the first 5,000 sessions' there).
    await client.query(`update session_participants p set status = 'waiting', waiting_since = now()
      from virtual_sessions s where s.id = p.session_id and s.status = 'scheduled' and p.position = 0`);
    await client.end();
    const tenants = Array.from({ length: size.tenants }, (_, i) => `bench-tenant-${String(i).padStart(3, "0")}`);
    await licenseTenants(service.url, tenants);
    const signer = new HmacJoinTokenSigner(parseJoinTokenKeys(BENCH_JOIN_TOKEN_KEYS));
    const expiresAt = new Date(Date.now() + 3600_000);
    const patients = Array.from({ length: size.sessions }, (_, i) => i + 1)
      .filter((n) => n % 10 < 6)
      .slice(0, streams)
      .map((n) => seededPatient(n, size));

    const idleRss = memoryMb(service.pid, "VmRSS");
    const t0 = performance.now();
    // Opened 100 at a time: the listen backlog, not the service, would refuse a burst of 10,000 SYNs.
    for (let i = 0; i < patients.length; i += 100) {
      const batch = patients.slice(i, i + 100);
      open_.push(...(await Promise.all(batch.map((p) => open(base, signer.issue({ ...p, expiresAt }), p)))));
    }
    const openSeconds = (performance.now() - t0) / 1000;
    await sleep(2000);
    const rssOpen = memoryMb(service.pid, "VmRSS");
    console.log(`streams open: ${open_.length} in ${openSeconds.toFixed(1)} s; service RSS ${idleRss.toFixed(0)} MB before, ${rssOpen.toFixed(0)} MB with them open`);

    const idleSeconds = Number(args.idle);
    const cpuBefore = cpuSeconds(service.pid);
    await sleep(idleSeconds * 1000);
    const idleCpu = (cpuSeconds(service.pid) - cpuBefore) / idleSeconds;
    console.log(`idle with ${open_.length} streams for ${idleSeconds} s: service CPU ${(100 * idleCpu).toFixed(1)} % of one core; RSS ${memoryMb(service.pid, "VmRSS").toFixed(0)} MB`);

    // Admissions while every stream stays open: admit request sent → status event on the stream.
    const admits = Math.min(Number(args.admits), open_.length);
    const latencies: number[] = [];
    const answered: number[] = [];
    const gap = 1000 / Number(args.rate);
    const pending: Promise<void>[] = [];
    let refused = 0;
    const tokens = new Map<string, string>();
    for (const t of tenants) tokens.set(t, await staffToken(t, ["clinician"]));
    const cpuAdmit = cpuSeconds(service.pid);
    const admitStart = performance.now();
    for (let i = 0; i < admits; i++) {
      const s = open_[Math.floor((i * open_.length) / admits)]!;
      const sentAt = performance.now();
      pending.push(
        new Promise<void>((resolve) => {
          s.onAdmitted = () => {
            latencies.push(s.admittedAt! - sentAt);
            resolve();
          };
          void fetch(`${service.url}/v1/sessions/${s.sessionId}/participants/${s.participantId}/admit`, {
            method: "POST",
            headers: { authorization: `Bearer ${tokens.get(s.tenantId)}` },
          }).then(async (res) => {
            answered.push(performance.now() - sentAt);
            if (res.status === 200) await res.arrayBuffer();
            else {
              if (++refused <= 3) console.log(`admit answered ${res.status}: ${await res.text().catch(() => "")}`);
              resolve();
            }
          });
        }),
      );
      await sleep(Math.max(0, admitStart + (i + 1) * gap - performance.now()));
    }
    await Promise.race([Promise.all(pending), sleep(30_000)]);
    const sorted = [...latencies].sort((a, b) => a - b);
    const answers = [...answered].sort((a, b) => a - b);
    console.log(`admit request → its answer: p50 ${percentile(answers, 50).toFixed(1)} ms, p99 ${percentile(answers, 99).toFixed(1)} ms`);
    const cpuPerAdmit = (1000 * (cpuSeconds(service.pid) - cpuAdmit)) / admits;
    console.log(
      `admit → event delivered, ${latencies.length}/${admits} admissions at ${args.rate}/s with ${open_.length} streams open: ` +
        `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms; ` +
        `service CPU ${cpuPerAdmit.toFixed(1)} ms per admission (with the idle load); peak RSS (VmHWM) ${memoryMb(service.pid, "VmHWM").toFixed(0)} MB`,
    );
    console.log(
      `push: streams=${open_.length} rss=${rssOpen.toFixed(0)}MB idle_cpu=${(100 * idleCpu).toFixed(1)}% admit_p50=${percentile(sorted, 50).toFixed(1)}ms admit_p99=${percentile(sorted, 99).toFixed(1)}ms`,
    );
  } finally {
    for (const s of open_) s.res.destroy();
    await service.stop();
    await fhir.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
