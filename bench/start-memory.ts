/**
 * Memory of the quick start (issue 23 item 4): `npm start` on its embedded defaults in a fresh
 * DATA_DIR (PGlite, embedded FHIR server, no NATS), then a first visit by the README's five
 * requests, ended (the end writes the Encounter, which loads the FHIR definitions). Prints the RSS
 * of the whole process tree (npm and the service) when idle, after the end, and the peak, sampled
 * every 50 ms, plus each process's own lifetime peak (VmHWM). `npm run bench:memory`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, memoryMb } from "./child.js";

/** The pids of `root` and all its descendants, from /proc. */
function tree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i]!) ?? []));
  return out;
}
const name = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).slice(0, 3).join(" ").slice(0, 60);
  } catch {
    return "?";
  }
};
const treeRss = (root: number) => tree(root).reduce((sum, pid) => sum + memoryMb(pid, "VmRSS"), 0);

const dataDir = mkdtempSync(join(tmpdir(), "vcs-memory-"));
const port = await freePort();
const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn" };
for (const k of ["DATABASE_URL", "NATS_URL", "AUTH_HS256_SECRET", "AUTH_JWKS_URL", "FHIR_BASE_URL", "KMS_MASTER_KEY", "JOIN_TOKEN_KEYS", "NODE_ENV"]) delete env[k];
const npm = spawn("npm", ["start"], { env, stdio: ["ignore", "pipe", "inherit"] });
let peak = 0;
let peakAt = "";
const sampler = setInterval(() => {
  const pids = tree(npm.pid!);
  const rss = pids.reduce((sum, pid) => sum + memoryMb(pid, "VmRSS"), 0);
  if (rss > peak) {
    peak = rss;
    peakAt = pids.map((pid) => `${name(pid)} ${memoryMb(pid, "VmRSS").toFixed(0)} MB`).join("; ");
  }
}, 50);
try {
  let out = "";
  const token = await new Promise<string>((resolve, reject) => {
    npm.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /bearer token:\s+(\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    npm.on("exit", (code) => reject(new Error(`npm start exited ${code}:\n${out}`)));
  });
  await new Promise((r) => setTimeout(r, 3000));
  const idle = treeRss(npm.pid!);
  const idlePeak = peak;
  const B = `http://127.0.0.1:${port}`;
  const staff = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const post = async (path: string, body: unknown, headers: Record<string, string> = staff) => {
    const res = await fetch(`${B}${path}`, { method: "POST", headers, body: JSON.stringify(body ?? {}) });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, any>;
  };
  const session = await post("/v1/sessions", { patientId: "pat-1", providerId: "dev-user", scheduledStart: new Date().toISOString() });
  const patient = session.participants.find((p: { role: string }) => p.role === "patient");
  const { token: joinToken } = await post(`/v1/sessions/${session.id}/participants/${patient.id}/join-token`, {});
  await post("/v1/join/validate", { token: joinToken }, { "content-type": "application/json" });
  await post(`/v1/sessions/${session.id}/participants/${patient.id}/admit`, {});
  const ended = await post(`/v1/sessions/${session.id}/end`, {});
  // The Encounter is written after the end (saga); wait until the detail names it.
  for (let i = 0; i < 300 && !ended.encounterId; i++) {
    const detail = (await (await fetch(`${B}/v1/sessions/${session.id}`, { headers: staff })).json()) as { encounterId?: string };
    if (detail.encounterId) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 3000));
  const afterEnd = treeRss(npm.pid!);
  const rows = tree(npm.pid!).map((pid) => `  ${name(pid).padEnd(60)} RSS ${memoryMb(pid, "VmRSS").toFixed(0)} MB, peak ${memoryMb(pid, "VmHWM").toFixed(0)} MB`);
  clearInterval(sampler);
  console.log(`npm start tree: idle ${idle.toFixed(0)} MB (peak to then ${idlePeak.toFixed(0)} MB); a visit ended ${afterEnd.toFixed(0)} MB; peak ${peak.toFixed(0)} MB (sampled every 50 ms)`);
  console.log(rows.join("\n"));
  console.log(`at the peak: ${peakAt}`);
} finally {
  clearInterval(sampler);
  for (const pid of tree(npm.pid!).reverse()) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // gone
    }
  }
  await new Promise((r) => setTimeout(r, 1500));
  rmSync(dataDir, { recursive: true, force: true });
}
