import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StandardWebhooksSender } from "../../src/adapters/webhooks/standard-webhooks-sender.js";
import { StandardWebhookTargets } from "../../src/adapters/webhooks/webhook-targets.js";
import { bootApp, staffToken, type TestApp } from "../support/app.js";

/**
 * Webhook URLs are typed in by tenant admins and called by this server (issue 21): the SSRF guard
 * of the video health checks (outbound-http/address-guard.ts) holds them to https on public
 * addresses when they are configured, and again as each delivery connects (DNS rebinding).
 */
describe("SSRF guard on webhook endpoints", () => {
  describe("when configured (production mode: WEBHOOK_ALLOW_PRIVATE unset)", () => {
    let app: TestApp;
    beforeAll(async () => {
      // bootApp allows private video health URLs for its stubs; webhooks keep the production default.
      app = await bootApp();
    });
    afterAll(() => app?.close());

    it("when an endpoint is plain http, loopback, private, link-local or the metadata address, then 400 naming each one, and nothing is stored", async () => {
      const urls = [
        "http://hooks.example.org/in",
        "https://127.0.0.1/in",
        "https://10.1.2.3/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://[::ffff:127.0.0.1]/in",
        "https://localhost:8443/in",
        "https://100.64.0.1/in",
      ];
      const res = await app.request({
        method: "PUT",
        url: "/v1/tenant-config",
        token: await staffToken("ssrf-hooks", ["admin", "platform_admin"]),
        body: {
          licensed: true,
          videoBackends: [{ name: "primary", provider: "jitsi", domain: "meet.example.org", appId: "a", secret: "0123456789abcdef0123" }],
          webhooks: urls.map((url, i) => ({ name: `h${i}`, url, eventTypes: ["virtualcare.session.created.v1"] })),
        },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe("VALIDATION_FAILED");
      expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(urls.map((_, i) => `/webhooks/${i}/url`));
      expect(res.json().errors[0].message).toBe("must be https");
      // The answer names the rule, never what a name resolved to.
      expect(JSON.stringify(res.json())).not.toContain("127.0.0.1\"");
      const read = await app.request({ method: "GET", url: "/v1/tenant-config", token: await staffToken("ssrf-hooks", ["admin"]) });
      expect(read.json().version).toBe(0);
    });
  });

  describe("when a delivery connects", () => {
    let server: Server;
    let port = 0;
    let connections = 0;
    beforeAll(async () => {
      // A bare TCP listener: it counts connections, so "never connected" is seen even where TLS would fail anyway.
      server = createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    const send = (sender: StandardWebhooksSender, url: string) =>
      sender.send({ url, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", messageId: "msg-1", body: "{}", traceparent: null, at: new Date() });

    it("when a name answers a public address to the configuration check and loopback at delivery (DNS rebinding), then the delivery never connects", async () => {
      let calls = 0;
      const rebinding = async () => (calls++ === 0 ? [{ address: "93.184.216.34", family: 4 }] : [{ address: "127.0.0.1", family: 4 }]);
      const targets = new StandardWebhookTargets(false, rebinding);
      expect(await targets.refusal(`https://rebind.example:${port}/in`)).toBeNull();
      const sender = new StandardWebhooksSender({ allowPrivate: false, timeoutMs: 2000, userAgent: "test", resolve: rebinding });
      expect(await send(sender, `https://rebind.example:${port}/in`)).toEqual({ kind: "unreachable", reason: "address not allowed" });
      // Among public addresses, one private one is enough to refuse.
      const mixed = new StandardWebhooksSender({
        allowPrivate: false,
        timeoutMs: 2000,
        userAgent: "test",
        resolve: async () => [{ address: "93.184.216.34", family: 4 }, { address: "127.0.0.1", family: 4 }],
      });
      expect(await send(mixed, `https://mixed.example:${port}/in`)).toEqual({ kind: "unreachable", reason: "address not allowed" });
      expect(await send(mixed, `http://mixed.example:${port}/in`)).toEqual({ kind: "unreachable", reason: "https required" });
      expect(connections).toBe(0);
    });

    it("when private receivers are allowed, then the same resolver reaches the listener (the rig sees a connection when there is one)", async () => {
      const sender = new StandardWebhooksSender({ allowPrivate: true, timeoutMs: 2000, userAgent: "test", resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
      const outcome = await send(sender, `http://receiver.internal:${port}/in`);
      expect(outcome.kind).toBe("unreachable");
      expect(connections).toBe(1);
    });

    it("when the configuration check resolves a name to private addresses, or it does not resolve, then it is refused", async () => {
      const privateName = new StandardWebhookTargets(false, async () => [{ address: "10.0.0.7", family: 4 }]);
      expect(await privateName.refusal("https://hooks.internal/in")).toMatch(/^must resolve to public addresses only/);
      const unknown = new StandardWebhookTargets(false, async () => {
        throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      });
      expect(await unknown.refusal("https://nowhere.invalid/in")).toBe("the host name does not resolve");
      expect(await new StandardWebhookTargets(false, async () => [{ address: "93.184.216.34", family: 4 }]).refusal("https://hooks.example.org/in")).toBeNull();
    });
  });
});
