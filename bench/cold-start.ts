import { createHash } from "node:crypto";
/**
 * Cold start (operations issue, defect 8): how slow are the first seconds after /readyz first says
 * 200? Starts the production build on a fresh PostgreSQL database, polls /readyz every 10 ms, and
 * from its first 200 drives creates and detail reads with 10 connections for 5 s; prints p50/p99
 * per 500 ms window. `npm run bench:cold-start [-- --rounds=3]`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EmbeddedFhirServer } from "../src/adapters/fhir/embedded-fhir-server.js";
import { freePort } from "./child.js";
import { buildService, createBenchDatabase, licenseTenants, staffToken, startFlags, STAFF_SECRET } from "./service.js";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "3" }, seconds: { type: "string", default: "5" } } });
const TENANT = "cold-start-tenant";
const WINDOW_MS = 500;

async function startCold(env: Record<string, string>, port: number) {
  const child = spawn(process.execPath, [...startFlags("postgres"), "dist/main.js"], { env: { ...env, PORT: String(port), HOST: "127.0.0.1" }, stdio: "ignore" });
  const spawned = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error("service exited during start");
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { child, readyAfterMs: performance.now() - spawned };
}

async function drive(url: string, token: string, seconds: number) {
  const samples: Array<{ at: number; ms: number; ok: boolean }> = [];
  const start = performance.now();
  const ids: string[] = [];
  let n = 0;
  const worker = async () => {
    while (performance.now() - start < seconds * 1000) {
      const t = performance.now();
      n += 1;
      const read = ids.length > 0 && n % 2 === 0;
      const res = read
        ? await fetch(`${url}/v1/sessions/${ids[n % ids.length]}`, { headers: { authorization: `Bearer ${token}` } })
        : await fetch(`${url}/v1/sessions`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ patientId: `p-${n}`, providerId: "dr-1", scheduledStart: new Date(Date.UTC(2027, 0, 1) + n * 60_000).toISOString() }),
          });
      const body = (await res.json()) as { id?: string };
      if (!read && res.status === 201 && body.id) ids.push(body.id);
      samples.push({ at: t - start, ms: performance.now() - t, ok: res.status < 300 });
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  return samples;
}

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);

async function main() {
  buildService();
  const db = await createBenchDatabase();
  const fhir = new EmbeddedFhirServer();
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-cold-"));
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    DATABASE_URL: db.url,
    FHIR_BASE_URL: await fhir.start(),
    AUTH_HS256_SECRET: STAFF_SECRET,
    // Derived, not repeated bytes: production mode refuses those (issue 20).
    KMS_MASTER_KEY: createHash("sha256").update("vcs-bench:kms").digest("base64"),
    JOIN_TOKEN_KEYS: `cold:${createHash("sha256").update("vcs-bench:cold-join").digest("base64")}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
  };
  try {
    const token = await staffToken(TENANT, ["scheduler"]);
    for (let round = 1; round <= Number(args.rounds); round++) {
      const port = await freePort();
      const { child, readyAfterMs } = await startCold(env, port);
      const url = `http://127.0.0.1:${port}`;
      if (round === 1) await licenseTenants(url, [TENANT]);
      const samples = await drive(url, token, Number(args.seconds));
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      console.log(`round ${round}: /readyz 200 after ${readyAfterMs.toFixed(0)} ms; then (window: requests, p50 ms, p99 ms, failed)`);
      for (let w = 0; w * WINDOW_MS < Number(args.seconds) * 1000; w++) {
        const inWindow = samples.filter((s) => s.at >= w * WINDOW_MS && s.at < (w + 1) * WINDOW_MS);
        const ms = inWindow.map((s) => s.ms);
        console.log(`  ${(w * WINDOW_MS / 1000).toFixed(1)}–${(((w + 1) * WINDOW_MS) / 1000).toFixed(1)} s: ${String(inWindow.length).padStart(5)}  ${pct(ms, 50).toFixed(1).padStart(7)}  ${pct(ms, 99).toFixed(1).padStart(7)}  ${inWindow.filter((s) => !s.ok).length}`);
      }
    }
  } finally {
    await fhir.stop();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
