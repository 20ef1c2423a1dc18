import { afterEach, describe, expect, it } from "vitest";
import { JitsiHealthCheck } from "../../src/adapters/jitsi/jitsi-health-check.js";
import type { VideoBackend } from "../../src/domain/tenant-config.js";
import { eventually } from "../support/nats.js";
import { StubServer } from "../support/stub-server.js";

const clock = { now: () => new Date() };
const backend = (healthUrl: string, name = "primary"): VideoBackend =>
  ({ name, provider: "jitsi", domain: "meet.example.org", appId: "vcs", secret: "s", healthUrl, maxConcurrentRooms: null }) as unknown as VideoBackend;

describe("video backend health probes (real HTTP stub on loopback)", () => {
  let stub: StubServer;
  afterEach(async () => {
    await stub?.stop();
  });

  it("when a health URL hangs and 100 creates check it at once, then one probe is in flight and all callers get its answer", async () => {
    stub = new StubServer(() => undefined); // accepts the request, never answers
    const url = `${await stub.start()}/about/health`;
    const health = new JitsiHealthCheck(0, clock, true);

    const checks = Array.from({ length: 100 }, (_, i) => health.check(backend(url, `b${i % 2}`)));
    await eventually("the probe to reach the bridge", () => stub.hits === 1, 5000, 10);
    const results = await Promise.all(checks);

    expect(stub.hits).toBe(1);
    expect(results.every((r) => !r.healthy && r.detail === "no answer within 2000 ms")).toBe(true);
    // Each caller still gets its own backend's name on the shared answer.
    expect(new Set(results.map((r) => r.backend))).toEqual(new Set(["b0", "b1"]));
  });

  it("when the shared probe has answered, then the next check (cache 0) probes again", async () => {
    stub = new StubServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
    const url = `${await stub.start()}/about/health`;
    const health = new JitsiHealthCheck(0, clock, true);

    const first = await Promise.all(Array.from({ length: 20 }, () => health.check(backend(url))));
    expect(first.every((r) => r.healthy)).toBe(true);
    expect(stub.hits).toBe(1);
    await health.check(backend(url));
    expect(stub.hits).toBe(2);
  });
});
