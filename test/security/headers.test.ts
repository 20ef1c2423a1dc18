import type { FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricsAllowed } from "../../src/http/security-headers.js";
import { bootApp, configureTenant, sessionBody, staffToken, type TestApp } from "../support/app.js";

/** Issue 11, defect 9: response headers and the operations endpoints. */
describe("security headers and /metrics (PostgreSQL)", () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await bootApp({ env: { PUBLIC_BASE_URL: "https://care.example.org", METRICS_TOKEN: "metrics-token-0123456789" } });
    await configureTenant(app, "hdr");
    token = await staffToken("hdr", ["scheduler"]);
  });
  afterAll(() => app.close());

  it("patient data answers are no-store, nosniff, with a CSP and HSTS behind TLS", async () => {
    const created = await app.request({ method: "POST", url: "/v1/sessions", token, body: sessionBody() });
    const detail = await app.request({ method: "GET", url: `/v1/sessions/${created.json().id}`, token });
    for (const res of [created, detail]) {
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
      expect(res.headers["strict-transport-security"]).toMatch(/^max-age=\d+/);
    }
  });

  it("/docs has a CSP of its own", async () => {
    const res = await app.request({ method: "GET", url: "/docs" });
    expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("a 401 names its scheme (RFC 6750 WWW-Authenticate)", async () => {
    const none = await app.request({ method: "GET", url: "/v1/sessions" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="virtual-care"');
    const bad = await app.request({ method: "GET", url: "/v1/sessions", token: "garbage" });
    expect(bad.headers["www-authenticate"]).toContain('error="invalid_token"');
    const join = await app.request({ method: "GET", url: "/v1/join/status", headers: { "x-join-token": "nope" } });
    expect(join.statusCode).toBe(401);
    expect(join.headers["www-authenticate"]).toContain("JoinToken");
  });

  it("/metrics needs METRICS_TOKEN when it is set", async () => {
    const anonymous = await app.request({ method: "GET", url: "/metrics" });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers["content-type"]).toContain("application/problem+json");
    const scraper = await app.request({ method: "GET", url: "/metrics", headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(scraper.statusCode).toBe(200);
  });

  it("without METRICS_TOKEN, /metrics refuses clients that are not on this host", async () => {
    const from = (remoteAddress: string) => ({ socket: { remoteAddress }, headers: {} }) as unknown as FastifyRequest;
    expect(metricsAllowed(from("203.0.113.9"), undefined)).toBe(false);
    expect(metricsAllowed(from("10.0.0.8"), undefined)).toBe(false);
    expect(metricsAllowed(from("127.0.0.1"), undefined)).toBe(true);
  });
});
