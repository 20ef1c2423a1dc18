import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HmacJoinTokenSigner, JoinTokenKeyError, parseJoinTokenKeys } from "../../src/adapters/tokens/hmac-join-token.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createService } from "../../src/composition/create-service.js";

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const claims = {
  tenantId: "clinic-a",
  sessionId: "0b7c8a34-3a56-4a0e-9d86-6f4a3c1f9e11",
  participantId: "5d1f0c9e-8a2b-4c3d-9e4f-1a2b3c4d5e6f",
  expiresAt: new Date("2026-12-01T10:00:00Z"),
};
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

describe("JOIN_TOKEN_KEYS parsing", () => {
  it("when the list is well formed, then every key is read in order (first signs)", () => {
    const keys = parseJoinTokenKeys(`k2:${keyB.toString("base64")}, k1:${keyA.toString("base64url")}`);
    expect(keys.map((k) => k.kid)).toEqual(["k2", "k1"]);
    expect(keys[0]!.key.equals(keyB)).toBe(true);
    expect(keys[1]!.key.equals(keyA)).toBe(true);
  });

  it.each([
    ["an empty entry", `k1:${keyA.toString("base64")},`, /entry 2 must look like kid:base64key/],
    ["no colon", "k1", /entry 1 must look like kid:base64key/],
    ["a bad kid", `bad kid:${keyA.toString("base64")}`, /kid must be 1-32 characters/],
    ["a duplicate kid", `k1:${keyA.toString("base64")},k1:${keyB.toString("base64")}`, /"k1" is listed twice/],
    ["a short key", `k1:${randomBytes(16).toString("base64")}`, /at least 32 random bytes/],
    ["junk inside the base64", `k1:${keyA.toString("base64").slice(0, 20)}!!${keyA.toString("base64").slice(20)}`, /base64/],
    ["an empty key", "k1:", /base64/],
  ])("when it has %s, then start-up fails with a message naming the entry", (_what, raw, message) => {
    expect(() => parseJoinTokenKeys(raw)).toThrow(JoinTokenKeyError);
    expect(() => parseJoinTokenKeys(raw)).toThrow(message);
  });

  it("when the key list is malformed, then createService refuses with a ConfigError that holds no key material", async () => {
    const short = randomBytes(20).toString("base64");
    const config = loadConfig({ DATA_DIR: "/nonexistent-not-used", JOIN_TOKEN_KEYS: `k1:${short}`, LOG_LEVEL: "silent" });
    const failure = await createService(config).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toContain("JOIN_TOKEN_KEYS entry 1");
    expect((failure as Error).message).not.toContain(short);
  });
});

describe("HMAC join token signer", () => {
  it("when a token is issued, then it verifies to the same claims, with expiry in whole seconds", () => {
    const signer = new HmacJoinTokenSigner([{ kid: "k1", key: keyA }]);
    const token = signer.issue({ ...claims, expiresAt: new Date("2026-12-01T10:00:00.750Z") });
    expect(token.startsWith("k1.")).toBe(true);
    expect(signer.verify(token)).toEqual(claims);
  });

  it("when only the spare bits of the MAC's last character differ, then the token is still refused", () => {
    const signer = new HmacJoinTokenSigner([{ kid: "k1", key: keyA }]);
    const token = signer.issue(claims);
    const last = token.at(-1)!;
    for (const ch of ALPHABET) {
      if (ch === last) continue;
      expect(() => signer.verify(token.slice(0, -1) + ch)).toThrow(expect.objectContaining({ code: "TOKEN_INVALID" }));
    }
  });

  it("when keys rotate, then an old token verifies while its key is listed and fails once it is dropped", () => {
    const old = new HmacJoinTokenSigner([{ kid: "k1", key: keyA }]).issue(claims);
    const rotating = new HmacJoinTokenSigner([
      { kid: "k2", key: keyB },
      { kid: "k1", key: keyA },
    ]);
    expect(rotating.verify(old)).toEqual(claims);
    expect(rotating.issue(claims).startsWith("k2.")).toBe(true);
    const rotated = new HmacJoinTokenSigner([{ kid: "k2", key: keyB }]);
    expect(() => rotated.verify(old)).toThrow(expect.objectContaining({ code: "TOKEN_INVALID" }));
  });

  it("when a token names a listed kid but was signed with another key, then it is refused", () => {
    const forged = new HmacJoinTokenSigner([{ kid: "k1", key: keyB }]).issue(claims);
    expect(() => new HmacJoinTokenSigner([{ kid: "k1", key: keyA }]).verify(forged)).toThrow(
      expect.objectContaining({ code: "TOKEN_INVALID" }),
    );
  });
});
