import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Development keys, generated once and kept in DATA_DIR so tokens and encrypted secrets survive a
 * restart. Only used when the matching setting is absent (README "Configuration"); production sets them all.
 */
export function devSecret(dataDir: string, name: string, bytes = 32): Buffer {
  const dir = join(dataDir, "dev-keys");
  const file = join(dir, name);
  if (existsSync(file)) return Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = randomBytes(bytes);
  writeFileSync(file, key.toString("base64"), { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
