/** Ports of tenant configuration. */
export interface SecretStorePort {
  /** Envelope-encrypts a secret bound to `context` (e.g. the tenant id). */
  seal(plaintext: string, context: string): Promise<string>;
  open(envelope: string, context: string): Promise<string>;
}
