import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolvesToPublicAddresses } from "../../src/adapters/outbound-http/address-guard.js";
import { JitsiHealthCheck } from "../../src/adapters/jitsi/jitsi-health-check.js";
import { ManualClock } from "../support/app.js";

/** Issue 11, defect 2: the video health URL guard. */
describe("SSRF guard on video health URLs", () => {
  it("public IPv4 and IPv6 addresses pass (main refused every IPv4 address)", async () => {
    for (const address of ["8.8.8.8", "93.184.216.34", "2001:4860:4860::8888", "[2606:4700:4700::1111]"]) {
      expect(await resolvesToPublicAddresses(address), address).toBe(true);
    }
  });

  it("loopback, private and metadata addresses are refused, also inside IPv6 forms that embed IPv4", async () => {
    for (const address of [
      "127.0.0.1", "10.1.2.3", "169.254.169.254", "100.64.0.1", "0.0.0.0", "192.0.2.1", "224.0.0.1",
      "::1", "::", "fe80::1", "fd00::1",
      "::ffff:127.0.0.1", "::ffff:10.0.0.1", // IPv4-mapped
      "::7f00:1", "::a9fe:a9fe", // IPv4-compatible ::/96
      "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", // NAT64
      "2002:7f00:1::", "2002:a9fe:a9fe::1", // 6to4
      "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
    ]) {
      expect(await resolvesToPublicAddresses(address), address).toBe(false);
    }
  });

  describe("the probe connects only to the address it checked", () => {
    let server: Server;
    let port = 0;
    let hits = 0;
    beforeAll(async () => {
      server = createServer((_req, res) => {
        hits++;
        res.end("ok");
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("a name that resolves to loopback, alone or among public addresses, is never fetched", async () => {
      const check = new JitsiHealthCheck(0, new ManualClock(), false, async () => [
        { address: "93.184.216.34", family: 4 },
        { address: "127.0.0.1", family: 4 },
      ]);
      const health = await check.check({ name: "b", healthUrl: `http://mixed.example:${port}/about/health` } as never);
      expect(health).toMatchObject({ healthy: false, detail: "unhealthy" });
      expect(hits).toBe(0);
    });

    it("a rebinding name (public to the check, loopback afterwards) is never fetched", async () => {
      let calls = 0;
      const check = new JitsiHealthCheck(0, new ManualClock(), false, async () =>
        calls++ === 0 ? [{ address: "93.184.216.34", family: 4 }] : [{ address: "127.0.0.1", family: 4 }],
      );
      await check.check({ name: "b", healthUrl: `http://rebind.example:${port}/about/health` } as never);
      expect(hits).toBe(0);
    });

    it("with private addresses allowed, the same resolver reaches the stub and the answer is only healthy", async () => {
      const check = new JitsiHealthCheck(0, new ManualClock(), true, async () => [{ address: "127.0.0.1", family: 4 }]);
      const health = await check.check({ name: "b", healthUrl: `http://bridge.internal:${port}/about/health` } as never);
      expect(health).toMatchObject({ healthy: true, detail: "healthy" });
      expect(hits).toBe(1);
    });
  });
});
