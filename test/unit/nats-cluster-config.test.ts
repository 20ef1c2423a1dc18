import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("NATS cluster settings (NATS_URL, NATS_STREAM_REPLICAS)", () => {
  const base = { DATA_DIR: "/nonexistent-not-used", LOG_LEVEL: "silent" };

  it("when NATS_STREAM_REPLICAS is absent, then streams are created with one replica (a single server)", () => {
    expect(loadConfig(base).natsStreamReplicas).toBe(1);
  });

  it("when a three-node cluster is configured, then every URL is kept and streams get three replicas", () => {
    const config = loadConfig({ ...base, NATS_URL: "nats://n1:4222,nats://n2:4222,nats://n3:4222", NATS_STREAM_REPLICAS: "3" });
    expect(config.natsUrl!.split(",")).toHaveLength(3);
    expect(config.natsStreamReplicas).toBe(3);
  });

  it("when NATS_STREAM_REPLICAS is not 1 to 5, then the start is refused (JetStream allows at most 5)", () => {
    for (const bad of ["0", "6", "three", "2.5"]) {
      expect(() => loadConfig({ ...base, NATS_STREAM_REPLICAS: bad }), bad).toThrow(ConfigError);
    }
  });
});
