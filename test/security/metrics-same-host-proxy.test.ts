import { createServer, request, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { bootApp, type TestApp } from "../support/app.js";

/**
 * Issue 20, item 7: without METRICS_TOKEN only clients on the service's host may read /metrics,
 * but a reverse proxy on the same host relays the internet's requests from loopback too. The
 * proxy here is a small one the test runs, relaying as nginx or Caddy do (X-Forwarded-For).
 */
describe("/metrics behind a reverse proxy on the same host (real HTTP)", () => {
  let app: TestApp;
  let proxy: Server;
  let direct: string;
  let relayed: string;

  beforeAll(async () => {
    app = await bootApp({ database: "pglite" });
    await app.service.app.listen({ port: 0, host: "127.0.0.1" });
    const target = (app.service.app.server.address() as { port: number }).port;
    proxy = createServer((req, res) => {
      const upstream = request(
        { host: "127.0.0.1", port: target, path: req.url, method: req.method, headers: { ...req.headers, "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https" } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    direct = `http://127.0.0.1:${target}/metrics`;
    relayed = `http://127.0.0.1:${(proxy.address() as { port: number }).port}/metrics`;
  });
  afterAll(async () => {
    await new Promise((r) => proxy?.close(r));
    await app?.close();
  });

  it("when a request is relayed by a proxy on the same host, then /metrics answers 401; a scraper on the host itself still reads it", async () => {
    const viaProxy = await fetch(relayed);
    expect(viaProxy.status).toBe(401);
    expect(await viaProxy.text()).not.toContain("http_request_duration_seconds");
    const local = await fetch(direct);
    expect(local.status).toBe(200);
    expect(await local.text()).toContain("http_request_duration_seconds");
  });

  it("when TRUST_PROXY declares proxies, then loopback alone is no proof: /metrics needs the token", async () => {
    const behindProxy = await bootApp({ database: "pglite", env: { TRUST_PROXY: "1" } });
    try {
      expect((await behindProxy.request({ method: "GET", url: "/metrics" })).statusCode).toBe(401);
    } finally {
      await behindProxy.close();
    }
  });

  it("when METRICS_TOKEN is a placeholder or short, then the service refuses to start", () => {
    expect(() => loadConfig({ METRICS_TOKEN: "REPLACE_ME" })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ METRICS_TOKEN: "m".repeat(8) + "0123456789abcdef" }).metricsToken).toHaveLength(24);
  });
});
