import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** Starts the real entry point the way the Quick start does: no settings at all but a port and folder. */
async function startEmbedded(dataDir: string, port: number): Promise<{ child: ChildProcess; token: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn" };
  for (const k of ["DATABASE_URL", "NATS_URL", "AUTH_HS256_SECRET", "AUTH_JWKS_URL", "FHIR_BASE_URL", "KMS_MASTER_KEY", "JOIN_TOKEN_KEYS"]) delete env[k];
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const token = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no token printed:\n${out}`)), 150_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /bearer token:\s+(\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
  expect(out).toContain(`http://localhost:${port}/docs`);
  // The one-click console sign-in carries the token in the fragment, which no browser sends to a server.
  expect(out).toContain(`http://localhost:${port}/console?tenant=demo-clinic#token=${token}`);
  return { child, token };
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

describe("Quick start: the service on its embedded defaults", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "vcs-quickstart-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("when started with no settings, then it prints a working dev token for a demo tenant, and data survives a restart", async () => {
    const port = await freePort();
    const first = await startEmbedded(dataDir, port);
    let sessionId: string;
    try {
      const base = `http://127.0.0.1:${port}`;
      const res = await fetch(`${base}/v1/sessions`, {
        method: "POST",
        headers: { authorization: `Bearer ${first.token}`, "content-type": "application/json" },
        body: JSON.stringify({ patientId: "demo-patient", providerId: "demo-doctor", scheduledStart: "2026-12-01T10:00:00Z" }),
      });
      expect(res.status).toBe(201);
      const session = (await res.json()) as { id: string; video: { domain: string } };
      expect(session.video.domain).toBe("meet.jit.si");
      sessionId = session.id;
      expect((await fetch(`${base}/docs/`)).status).toBe(200);
      const consolePage = await fetch(`${base}/console?tenant=demo-clinic`);
      expect(consolePage.status).toBe(200);
      expect(consolePage.headers.get("content-security-policy")).toContain("frame-src https:;");
      expect(consolePage.headers.get("content-security-policy")).toContain("script-src 'self';");
    } finally {
      await stop(first.child);
    }
    const second = await startEmbedded(dataDir, port);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1/sessions/${sessionId}`, { headers: { authorization: `Bearer ${second.token}` } });
      expect(res.status).toBe(200);
    } finally {
      await stop(second.child);
    }
  }, 360_000);
});
