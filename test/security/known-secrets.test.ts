import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createService } from "../../src/composition/create-service.js";
import { weakSecrets } from "../../src/composition/secret-strength.js";
import { parseJoinTokenKeys } from "../../src/adapters/tokens/hmac-join-token.js";
import { stopProcess } from "../support/process.js";

const random = () => randomBytes(32).toString("base64");
const bytes = (fill: (i: number) => number) => Buffer.from(Array.from({ length: 32 }, (_, i) => fill(i))).toString("base64");
const README_EXAMPLE = "change-me-to-32-or-more-characters";

/** Issue 20, finding 6: known and guessable secrets started production mode. */
describe("production refuses known or guessable secrets", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), "vcs-secrets-"));
    dirs.push(d);
    return d;
  };
  const env = (over: Record<string, string>) => ({
    DATA_DIR: dataDir(),
    LOG_LEVEL: "silent",
    AUTH_HS256_SECRET: random(),
    KMS_MASTER_KEY: random(),
    JOIN_TOKEN_KEYS: `k1:${random()}`,
    ...over,
  });
  /** Refused before anything is opened (no database needed): the message names the setting. */
  const refusal = async (over: Record<string, string>): Promise<string> => {
    const err = await createService(loadConfig(env(over))).then(
      async (s) => {
        await s.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  };

  it.each([
    ["the README's example staff secret", { AUTH_HS256_SECRET: README_EXAMPLE }, "AUTH_HS256_SECRET"],
    ["32 × a as the staff secret", { AUTH_HS256_SECRET: "a".repeat(32) }, "AUTH_HS256_SECRET"],
    ["a repeated word as the staff secret", { AUTH_HS256_SECRET: "password".repeat(4) }, "AUTH_HS256_SECRET"],
    ["an all-zero KMS key", { KMS_MASTER_KEY: bytes(() => 0) }, "KMS_MASTER_KEY"],
    ["a counting KMS key (0, 1, 2, …)", { KMS_MASTER_KEY: bytes((i) => i) }, "KMS_MASTER_KEY"],
    ["an all-zero join-token key", { JOIN_TOKEN_KEYS: `k1:${bytes(() => 0)}` }, 'JOIN_TOKEN_KEYS key "k1"'],
    ["a weak verify-only join-token key", { JOIN_TOKEN_KEYS: `k2:${random()},old:${bytes(() => 7)}` }, 'JOIN_TOKEN_KEYS key "old"'],
  ])("%s is refused with a message naming it and how to generate one", async (_name, over, named) => {
    const message = await refusal(over);
    expect(message).toContain(named);
    expect(message).toContain("head -c32 /dev/urandom | base64");
    // The message names the setting; it never repeats the secret.
    for (const value of Object.values(over)) expect(message).not.toContain(value);
  });

  it("secrets from the documented generating command pass every check, in hex or base64", () => {
    for (let i = 0; i < 200; i++) {
      const config = loadConfig(env({ AUTH_HS256_SECRET: i % 2 ? random() : randomBytes(16).toString("hex") }));
      expect(weakSecrets(config, parseJoinTokenKeys(config.joinTokenKeys!))).toEqual([]);
    }
  });

  it("the entry point exits 2 with the message and prints no token", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", PORT: "0", HOST: "127.0.0.1", ...env({ AUTH_HS256_SECRET: "a".repeat(32) }), LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    await stopProcess(child);
    expect(code).toBe(2);
    expect(out).toMatch(/configuration error: refusing known or guessable secrets.*AUTH_HS256_SECRET is one character repeated/);
    expect(out).not.toMatch(/bearer token/);
  });

  it("no usable secret stands in the README or the docs: they show the generating command", () => {
    const docs = ["README.md", "docs/operations.md", "docs/security.md", "compose.yaml", "deploy/k8s/secret.yaml"].map((f) => readFileSync(f, "utf8")).join("\n");
    expect(docs).not.toContain(README_EXAMPLE);
    for (const [, value] of docs.matchAll(/(?:AUTH_HS256_SECRET|KMS_MASTER_KEY)[=:]\s*([^\s\\]+)/g)) {
      expect(value!.startsWith("$(") || value!.startsWith("${") || value === "REPLACE_ME" || value === "...", value).toBe(true);
    }
  });
});
