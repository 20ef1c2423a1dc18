import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/nats.js";
import { stopProcess } from "../support/process.js";

/** Runs the entry point until it exits, prints a bearer token, or 60 s pass; then stops it. */
async function start(env: Record<string, string>, dataDir: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", PORT: String(await freePort()), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 60_000);
    const seen = (d: Buffer) => {
      out += d.toString();
      if (/bearer token:|listening/i.test(out)) {
        clearTimeout(timer);
        resolve(null);
      }
    };
    child.stdout!.on("data", seen);
    child.stderr!.on("data", seen);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  await stopProcess(child);
  return { code, out };
}

/** Issue 11, defect 7: production never runs on development keys. */
describe("production mode refuses development keys", () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), "vcs-prodkeys-"));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("NODE_ENV=production with no key settings stops with a clear message and prints no token", async () => {
    const dir = dataDir();
    const { code, out } = await start({ NODE_ENV: "production" }, dir);
    expect(code).toBe(2);
    expect(out).toMatch(/AUTH_HS256_SECRET or AUTH_JWKS_URL, KMS_MASTER_KEY, JOIN_TOKEN_KEYS/);
    expect(out).not.toMatch(/bearer token/);
    expect(existsSync(join(dir, "dev-keys"))).toBe(false);
  });

  it("only AUTH_HS256_SECRET set: refused, and no replica-local KMS or join-token key is written", async () => {
    const dir = dataDir();
    const { code, out } = await start({ AUTH_HS256_SECRET: "a-production-secret-of-32-chars-or-more" }, dir);
    expect(code).toBe(2);
    expect(out).toMatch(/KMS_MASTER_KEY, JOIN_TOKEN_KEYS/);
    expect(existsSync(join(dir, "dev-keys"))).toBe(false);
  });
});
