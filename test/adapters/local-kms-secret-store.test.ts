import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LocalKmsSecretStore } from "../../src/adapters/kms/local-kms-secret-store.js";

describe("LocalKmsSecretStore (envelope encryption)", () => {
  const store = new LocalKmsSecretStore(randomBytes(32));

  it("opens what it sealed, and never shows the plaintext in the envelope", async () => {
    const envelope = await store.seal("jitsi-secret-value", "tenant-a");
    expect(envelope).not.toContain("jitsi-secret-value");
    expect(envelope.startsWith("v1.")).toBe(true);
    expect(await store.open(envelope, "tenant-a")).toBe("jitsi-secret-value");
    // A fresh data key every time: the same secret never seals to the same envelope.
    expect(await store.seal("jitsi-secret-value", "tenant-a")).not.toBe(envelope);
  });

  it("refuses an envelope moved to another tenant, a tampered one, or one sealed under another master key", async () => {
    const envelope = await store.seal("s3cr3t", "tenant-a");
    await expect(store.open(envelope, "tenant-b")).rejects.toThrow();
    const parts = envelope.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[body.length - 1]! ^= 1;
    await expect(store.open([...parts.slice(0, 3), body.toString("base64url")].join("."), "tenant-a")).rejects.toThrow();
    await expect(new LocalKmsSecretStore(randomBytes(32)).open(envelope, "tenant-a")).rejects.toThrow();
  });

  it("refuses a master key that is not 32 bytes", () => {
    expect(() => new LocalKmsSecretStore(randomBytes(16))).toThrow(/32 bytes/);
  });
});
