import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/nats.js";

const root = resolve(".");

describe("A start that does not rebuild what did not change (issue 23)", () => {
  const work = mkdtempSync(join(tmpdir(), "vcs-build-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("when the pages' inputs are unchanged, then the second build is skipped; an edited input builds again", () => {
    // A copy of what the web build reads, with the project's node_modules.
    cpSync(join(root, "web"), join(work, "web"), { recursive: true, filter: (p) => !p.includes(`${join("web", "dist")}`) });
    cpSync(join(root, "scripts"), join(work, "scripts"), { recursive: true });
    cpSync(join(root, "package-lock.json"), join(work, "package-lock.json"));
    symlinkSync(join(root, "node_modules"), join(work, "node_modules"));
    const build = () => execFileSync(process.execPath, ["scripts/build-if-changed.mjs", "web"], { cwd: work, encoding: "utf8" });
    const page = join(work, "web/dist/join.html");

    expect(build()).toContain("patient page JavaScript");
    const builtAt = statSync(page).mtimeMs;
    expect(build()).toContain("web: up to date");
    expect(statSync(page).mtimeMs).toBe(builtAt);

    const app = join(work, "web/src/join/app.tsx");
    writeFileSync(app, `${readFileSync(app, "utf8")}\n// edited\n`);
    expect(build()).toContain("patient page JavaScript");
    expect(statSync(page).mtimeMs).toBeGreaterThan(builtAt);
  }, 120_000);

  it("when the service starts on its embedded defaults, then the sign-in banner comes after every start-up log line", async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: join(work, "data"), LOG_LEVEL: "info" };
    for (const k of ["DATABASE_URL", "NATS_URL", "AUTH_HS256_SECRET", "AUTH_JWKS_URL", "FHIR_BASE_URL", "KMS_MASTER_KEY", "JOIN_TOKEN_KEYS", "NODE_ENV"]) delete env[k];
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    try {
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no banner:\n${out}`)), 100_000);
        child.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (/bearer token:\s+\S+\n\n/.test(out)) {
            clearTimeout(timer);
            done();
          }
        });
        child.on("exit", (code) => fail(new Error(`exited with ${code}:\n${out}`)));
      });
    } finally {
      // Waited for: its data folder is removed after this test, which must not happen under an open database.
      const exited = new Promise((done) => (child.exitCode !== null ? done(null) : child.once("exit", done)));
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killer);
    }
    const banner = out.indexOf("Virtual Care Service (development defaults");
    // What the start logs: the relay's leadership, the demo tenant's events, listening, the summary.
    for (const line of ['"msg":"started"', '"msg":"Server listening', "dev-event-sink", '"msg":"outbox relay is the leader"']) {
      expect(out.indexOf(line), line).toBeGreaterThan(-1);
      expect(out.indexOf(line), line).toBeLessThan(banner);
    }
  }, 120_000);
});
