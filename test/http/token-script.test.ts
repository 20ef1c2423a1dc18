import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootApp, STAFF_SECRET, type TestApp } from "../support/app.js";

const run = promisify(execFile);

/** `npm run token -- …` as a newcomer runs it against a service on PostgreSQL. */
async function token(args: string[], secret = STAFF_SECRET): Promise<string> {
  const { stdout } = await run("npx", ["tsx", "scripts/token.mts", ...args], { env: { ...process.env, AUTH_HS256_SECRET: secret } });
  return stdout.trim();
}

describe("the token script (README: PostgreSQL mode)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await bootApp({ database: "pglite" });
  });
  afterAll(() => app.close());

  it("when a platform admin's token from the script licenses a tenant, then a clinician's token from it lists that tenant's visits", async () => {
    const admin = await token(["--tenant", "newcomer-clinic", "--roles", "platform_admin,admin"]);
    const put = await app.request({
      method: "PUT",
      url: "/v1/tenant-config",
      token: admin,
      body: {
        licensed: true,
        consentRequired: false,
        videoBackends: [{ name: "primary", provider: "jitsi", domain: "meet.example.org", appId: "demo", secret: "a-video-secret-of-32-characters-x" }],
      },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json().licensed).toBe(true);

    const clinician = await token(["--tenant", "newcomer-clinic", "--roles", "clinician", "--sub", "dr-new"]);
    const list = await app.request({ method: "GET", url: "/v1/sessions", token: clinician });
    expect(list.statusCode).toBe(200);
  });

  it("when the script signs with another secret than the service's, then the service refuses the token", async () => {
    const wrong = await token(["--tenant", "newcomer-clinic", "--roles", "clinician"], "another-secret-0123456789abcdefghijklmnop");
    expect((await app.request({ method: "GET", url: "/v1/sessions", token: wrong })).statusCode).toBe(401);
  });

  it("when a role is misspelled, then the script says so and mints nothing", async () => {
    const failed = await token(["--tenant", "t", "--roles", "clinican"]).then(
      () => null,
      (err: { code: number; stderr: string; stdout: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain("unknown role(s) clinican");
    expect(failed?.stdout).toBe("");
  });
});
