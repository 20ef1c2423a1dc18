import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SecretStorePort } from "../../features/tenant-config/ports.js";

/**
 * SecretStorePort with envelope encryption done locally: each secret gets its own random data key
 * (AES-256-GCM), and that data key is wrapped by the master key (`KMS_MASTER_KEY`, AES-256-GCM).
 * Both layers authenticate the context (tenant id), so an envelope copied to another tenant's
 * config does not open. A cloud KMS adapter would replace only `wrap`/`unwrap`.
 */
export class LocalKmsSecretStore implements SecretStorePort {
  constructor(
    private readonly masterKey: Buffer,
    private readonly keyId = "local-1",
  ) {
    if (masterKey.length !== 32) throw new Error("KMS_MASTER_KEY must be 32 bytes (base64)");
  }

  async seal(plaintext: string, context: string): Promise<string> {
    const dataKey = randomBytes(32);
    const body = encrypt(dataKey, Buffer.from(plaintext, "utf8"), context);
    const wrapped = encrypt(this.masterKey, dataKey, `${this.keyId}|${context}`);
    dataKey.fill(0);
    return ["v1", this.keyId, wrapped, body].join(".");
  }

  async open(envelope: string, context: string): Promise<string> {
    const [version, keyId, wrapped, body] = envelope.split(".");
    if (version !== "v1" || keyId !== this.keyId || !wrapped || !body) {
      throw new Error("unknown secret envelope format or key");
    }
    const dataKey = decrypt(this.masterKey, wrapped, `${keyId}|${context}`);
    try {
      return decrypt(dataKey, body, context).toString("utf8");
    } finally {
      dataKey.fill(0);
    }
  }
}

/** iv (12) ‖ tag (16) ‖ ciphertext, base64url. */
function encrypt(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64url");
}

function decrypt(key: Buffer, packed: string, aad: string): Buffer {
  const raw = Buffer.from(packed, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
}
