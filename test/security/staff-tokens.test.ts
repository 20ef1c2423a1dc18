import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { staffAuthenticator } from "../../src/http/auth.js";
import { bootApp, configureTenant, STAFF_SECRET, type TestApp } from "../support/app.js";

const sign = (claims: Record<string, unknown>, exp: number | string = "1h") =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject("u").setExpirationTime(exp).sign(new TextEncoder().encode(STAFF_SECRET));

/** Issue 11, defect 10: what a staff token may claim. */
describe("staff tokens (PostgreSQL)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await bootApp();
    await configureTenant(app, "tok");
  });
  afterAll(() => app.close());

  const status = async (token: string) => (await app.request({ method: "GET", url: "/v1/sessions", token })).statusCode;

  it("reserved, oversized or oddly shaped tenant ids are refused (401)", async () => {
    for (const tenant_id of ["_unauthenticated", "_unknown", "x".repeat(300), "a b", "tenant/../other", ""]) {
      expect(await status(await sign({ tenant_id, roles: ["clinician"] })), tenant_id).toBe(401);
    }
    expect(await status(await sign({ tenant_id: "tok", roles: ["clinician"] }))).toBe(200);
  });

  it("a token that expires in ten years is refused; one within 24 h passes", async () => {
    expect(await status(await sign({ tenant_id: "tok", roles: ["clinician"] }, "3650d"))).toBe(401);
    expect(await status(await sign({ tenant_id: "tok", roles: ["clinician"] }, "23h"))).toBe(200);
  });
});

describe("JWKS mode", () => {
  it("needs an https URL, an issuer and an audience", () => {
    const base = { DATA_DIR: "/tmp/unused" };
    expect(() => loadConfig({ ...base, AUTH_JWKS_URL: "http://idp.example/jwks", AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, AUTH_JWKS_URL: "https://idp.example/jwks" })).toThrow(/AUTH_ISSUER and AUTH_AUDIENCE/);
    expect(() => loadConfig({ ...base, AUTH_JWKS_URL: "https://idp.example/jwks", AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" })).not.toThrow();
    // Loopback never leaves the host (a local provider or sidecar); a look-alike host does.
    expect(() => loadConfig({ ...base, AUTH_JWKS_URL: "http://127.0.0.1:9000/jwks", AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" })).not.toThrow();
    expect(() => loadConfig({ ...base, AUTH_JWKS_URL: "http://127.0.0.1.evil.example/jwks", AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" })).toThrow(ConfigError);
  });

  describe("a signing key that leaves the JWKS", () => {
    let server: Server;
    let keys: JWK[] = [];
    let url = "";
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ keys }));
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("stops verifying tokens it signed, even ones verified before", async () => {
      const old = await generateKeyPair("ES256");
      const next = await generateKeyPair("ES256");
      keys = [{ ...(await exportJWK(old.publicKey)), kid: "old", alg: "ES256" }];
      const authenticate = staffAuthenticator({ kind: "jwks", url, issuer: "idp", audience: "vcs", cacheMaxAgeMs: 50 }, { now: () => new Date() });
      const token = await new SignJWT({ tenant_id: "tok", roles: ["clinician"] })
        .setProtectedHeader({ alg: "ES256", kid: "old" })
        .setSubject("u")
        .setIssuer("idp")
        .setAudience("vcs")
        .setExpirationTime("1h")
        .sign(old.privateKey);
      await expect(authenticate(`Bearer ${token}`)).resolves.toMatchObject({ tenantId: "tok" });
      keys = [{ ...(await exportJWK(next.publicKey)), kid: "next", alg: "ES256" }];
      // Fixed on purpose: jose ages its JWKS cache by real time; 120 ms is past its 50 ms max age.
      await new Promise((r) => setTimeout(r, 120));
      await expect(authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    });
  });
});
