import type { JoinTokenKey } from "../adapters/tokens/hmac-join-token.js";
import { assertProductionDatabase, assertProductionKeys, type Config } from "../config.js";
import { joinTokenKeys } from "./join-token-keys.js";
import { assertStrongSecrets } from "./secret-strength.js";

/**
 * What must hold before anything is opened or written: a bad setting stops the start cleanly
 * (exit 2), with no dev key written to DATA_DIR and no token printed. Returns the parsed
 * JOIN_TOKEN_KEYS (null in development mode, which keeps a key in DATA_DIR).
 */
export function checkStartup(config: Config): JoinTokenKey[] | null {
  const keys = joinTokenKeys(config);
  // Production settings complete (issue 11: replicas inventing their own keys).
  assertProductionKeys(config);
  // No key anyone could know: README examples, repeated characters, all-zero keys (issue 20).
  assertStrongSecrets(config, keys);
  // Not on the embedded database by accident (issue 20): only with ALLOW_EMBEDDED_DATABASE=true.
  assertProductionDatabase(config);
  return keys;
}
