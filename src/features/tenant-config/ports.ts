/** Ports of tenant configuration. */
export interface SecretStorePort {
  /** Envelope-encrypts a secret bound to `context` (e.g. the tenant id). */
  seal(plaintext: string, context: string): Promise<string>;
  open(envelope: string, context: string): Promise<string>;
}

/** Reads a JaaS API key's private key (the adapter parses it; use cases import no crypto). */
export interface VideoKeyReader {
  /** The key as PKCS#8 PEM when `pem` is an RSA private key (PKCS#8 or PKCS#1, at least 2048 bits); null otherwise. */
  rsaPrivateKeyPem(pem: string): string | null;
}

/** Webhook receivers as the config sees them: their secrets, and whether their URL may be called. */
export interface WebhookTargets {
  /** A fresh Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
  newSecret(): string;
  /**
   * Why this URL may not receive webhooks (plain http, or a name or address that is not public:
   * loopback, private, link-local, metadata), or null when it may. The operator may allow private
   * receivers (WEBHOOK_ALLOW_PRIVATE); every delivery checks the address again as it connects.
   */
  refusal(url: string): Promise<string | null>;
}
