import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createService } from "../../src/composition/create-service.js";
import { bootApp } from "../support/app.js";

/**
 * Issue 20, finding 7(e): production mode without DATABASE_URL ran the embedded PGlite — a
 * superuser, where the tenant policies do not bind — without a word. Now it is refused unless the
 * operator opts in, and an opted-in start says what it gives up.
 */
describe("production mode and the embedded database", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const production = () => {
    const dir = mkdtempSync(join(tmpdir(), "vcs-embedded-"));
    dirs.push(dir);
    const key = () => randomBytes(32).toString("base64");
    return { DATA_DIR: dir, LOG_LEVEL: "silent", AUTH_HS256_SECRET: key(), KMS_MASTER_KEY: key(), JOIN_TOKEN_KEYS: `k1:${key()}` };
  };

  it("without DATABASE_URL and without the opt-in, the start is refused with a message that says why and how", async () => {
    const outcome = await createService(loadConfig(production())).then(
      async (service) => {
        await service.close();
        return "started";
      },
      (err: unknown) => err,
    );
    expect(outcome).toBeInstanceOf(ConfigError);
    expect((outcome as Error).message).toMatch(/DATABASE_URL/);
    expect((outcome as Error).message).toMatch(/ALLOW_EMBEDDED_DATABASE=true/);
    expect((outcome as Error).message).toMatch(/row-level security/);
  });

  it("with ALLOW_EMBEDDED_DATABASE=true it starts on PGlite and warns in the log that tenants are not separated", async () => {
    const lines: string[] = [];
    const app = await bootApp({ database: "pglite", env: { LOG_LEVEL: "warn" }, logStream: { write: (line) => void lines.push(line) } });
    try {
      expect(app.service.database.kind).toBe("pglite");
      expect((await app.request({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
      const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => /embedded PGlite/.test(l.msg));
      expect(warning?.level).toBe(40);
      expect(warning?.msg).toMatch(/row-level security does not separate tenants/);
    } finally {
      await app.close();
    }
    // A fresh PGlite folder and its migrations: 10–30 s on a loaded 2-core machine.
  }, 90_000);
});
