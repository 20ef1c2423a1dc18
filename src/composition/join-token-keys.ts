/** The join-token keys from the configuration, and which tenant a join link names (its page's CSP). */
import { JoinTokenKeyError, parseJoinTokenKeys, type HmacJoinTokenSigner, type JoinTokenKey } from "../adapters/tokens/hmac-join-token.js";
import { ConfigError, type Config } from "../config.js";

/** `JOIN_TOKEN_KEYS` parsed, or null (development mode then uses a key kept in DATA_DIR). */
export function joinTokenKeys(config: Config): JoinTokenKey[] | null {
  if (!config.joinTokenKeys) return null;
  try {
    return parseJoinTokenKeys(config.joinTokenKeys);
  } catch (err) {
    if (err instanceof JoinTokenKeyError) throw new ConfigError(err.message);
    throw err;
  }
}

/** The tenant of a join token that verifies; null for any other string. */
export function tokenTenant(signer: HmacJoinTokenSigner, token: string): string | null {
  try {
    return signer.verify(token).tenantId;
  } catch {
    return null;
  }
}
