import { createHmac, timingSafeEqual } from "node:crypto";
import type { JoinTokenSignerPort } from "../../features/join/ports.js";
import type { JoinTokenClaims } from "../../platform/join-credential.js";
import { DomainError } from "../../domain/errors.js";

export interface JoinTokenKey {
  kid: string;
  key: Buffer;
}

/** A problem with `JOIN_TOKEN_KEYS`; the message never contains key material. */
export class JoinTokenKeyError extends Error {}

const KID = /^[A-Za-z0-9_-]{1,32}$/;
const MIN_KEY_BYTES = 32;
/** kid . payload . mac — all base64url; a MAC of HMAC-SHA256 is 32 bytes = 43 characters. */
const TOKEN = /^([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16,2000})\.([A-Za-z0-9_-]{43})$/;
const VERSION = 1;
/** Domain separation: these keys sign nothing else, but a label costs nothing. */
const LABEL = "vcs-join-token";

/**
 * `kid:base64key[,kid:base64key…]` (JOIN_TOKEN_KEYS), read strictly: a typo in a production key list
 * must stop the service at start, not surface later as every patient's link failing.
 */
export function parseJoinTokenKeys(raw: string): JoinTokenKey[] {
  const entries = raw.split(",").map((e) => e.trim());
  const keys: JoinTokenKey[] = [];
  entries.forEach((entry, i) => {
    const where = `JOIN_TOKEN_KEYS entry ${i + 1}`;
    const colon = entry.indexOf(":");
    if (entry === "" || colon < 0) throw new JoinTokenKeyError(`${where} must look like kid:base64key`);
    const kid = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KID.test(kid)) throw new JoinTokenKeyError(`${where}: the kid must be 1-32 characters of A-Z a-z 0-9 _ -`);
    if (keys.some((k) => k.kid === kid)) throw new JoinTokenKeyError(`${where}: kid "${kid}" is listed twice`);
    const key = strictBase64(encoded);
    if (!key || key.length < MIN_KEY_BYTES) {
      throw new JoinTokenKeyError(`${where} (kid "${kid}"): the key must be base64 of at least ${MIN_KEY_BYTES} random bytes`);
    }
    keys.push({ kid, key });
  });
  return keys;
}

/** Node's base64 decoder skips characters it does not know; a key list must not be read that loosely. */
function strictBase64(encoded: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) return null;
  const bytes = Buffer.from(encoded, "base64");
  const canonical = encoded.replace(/=+$/, "").replaceAll("-", "+").replaceAll("_", "/");
  return bytes.toString("base64").replace(/=+$/, "") === canonical ? bytes : null;
}

/**
 * JoinTokenSignerPort with HMAC-SHA256. The token is `kid.payload.mac`: the payload is base64url
 * JSON of [version, tenant, session, participant, exp] and the MAC covers the kid and the payload
 * exactly as sent. The first key signs; every listed key verifies, so a rotation is: prepend the
 * new key, wait one token lifetime, drop the old one.
 */
export class HmacJoinTokenSigner implements JoinTokenSignerPort {
  private readonly byKid: Map<string, Buffer>;

  constructor(private readonly keys: readonly JoinTokenKey[]) {
    if (keys.length === 0) throw new JoinTokenKeyError("JOIN_TOKEN_KEYS lists no key");
    this.byKid = new Map(keys.map((k) => [k.kid, k.key]));
  }

  issue(claims: JoinTokenClaims): string {
    const signer = this.keys[0]!;
    const exp = Math.floor(claims.expiresAt.getTime() / 1000);
    const payload = Buffer.from(JSON.stringify([VERSION, claims.tenantId, claims.sessionId, claims.participantId, exp])).toString(
      "base64url",
    );
    return `${signer.kid}.${payload}.${mac(signer.key, signer.kid, payload)}`;
  }

  verify(token: string): JoinTokenClaims {
    const m = TOKEN.exec(token);
    const key = m ? this.byKid.get(m[1]!) : undefined;
    if (!m || !key) throw invalid();
    const [, kid, payload, given] = m as unknown as [string, string, string, string];
    // Compare the canonical base64url text, not decoded bytes: a base64url string has spare bits in
    // its last character, and a token differing only there must not pass.
    const expected = Buffer.from(mac(key, kid, payload));
    if (!timingSafeEqual(expected, Buffer.from(given))) throw invalid();
    return decodePayload(payload);
  }
}

function mac(key: Buffer, kid: string, payload: string): string {
  return createHmac("sha256", key).update(`${LABEL}.${kid}.${payload}`).digest("base64url");
}

function decodePayload(payload: string): JoinTokenClaims {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  // Only reachable with a valid MAC, so this is our own output; checked anyway (a future version).
  if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== VERSION) throw invalid();
  const [, tenantId, sessionId, participantId, exp] = parsed as unknown[];
  if (typeof tenantId !== "string" || typeof sessionId !== "string" || typeof participantId !== "string" || !Number.isSafeInteger(exp)) {
    throw invalid();
  }
  return { tenantId, sessionId, participantId, expiresAt: new Date((exp as number) * 1000) };
}

const invalid = () => new DomainError("TOKEN_INVALID", "the join token is not valid; ask the clinic for a new link");
