import { createPrivateKey, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import type { VideoJoinInput } from "../../platform/video-access.js";

/**
 * 8x8 Jitsi as a Service (JaaS), by 8x8's "Jitsi JSON Web Token" page: RS256 signed with the API
 * key's private key, header `kid` = the API key id (`<AppID>/<key>`), `aud: "jitsi"`, `iss: "chat"`,
 * `sub` = the AppID, `room` = the room's name inside the app, `context.user` with `moderator` as
 * the string "true"/"false", and `context.features`. The meeting is `https://8x8.vc/<AppID>/<room>`.
 */

/**
 * Features a JaaS moderator could otherwise switch on. A telehealth visit is not recorded,
 * streamed, transcribed by 8x8 or bridged to phones from this service's links: all "false".
 */
const FEATURES = {
  livestreaming: "false",
  recording: "false",
  transcription: "false",
  "outbound-call": "false",
  "sip-outbound-call": "false",
  "inbound-call": "false",
  "sip-inbound-call": "false",
} as const;

/** The join URL: the room under the AppID on the JaaS domain, with its RS256 JWT. */
export async function jaasJoinUrl(input: VideoJoinInput, privateKeyPem: string): Promise<string> {
  const { backend } = input;
  if (!backend.keyId) throw new Error("a JaaS backend needs its API key id");
  const jwt = await new SignJWT({
    room: input.roomName,
    context: {
      user: { id: input.user.id, name: input.user.name, moderator: input.user.moderator ? "true" : "false" },
      features: FEATURES,
    },
  })
    .setProtectedHeader({ alg: "RS256", kid: backend.keyId, typ: "JWT" })
    .setAudience("jitsi")
    .setIssuer("chat")
    .setSubject(backend.appId)
    // Whole seconds rounded toward "valid", as for self-hosted Jitsi (jitsi-meet.ts).
    .setNotBefore(Math.floor(input.notBefore.getTime() / 1000))
    .setIssuedAt(Math.floor(input.issuedAt.getTime() / 1000))
    .setExpirationTime(Math.ceil(input.expiresAt.getTime() / 1000))
    .sign(privateKey(privateKeyPem));
  return `https://${backend.domain}/${encodeURIComponent(backend.appId)}/${encodeURIComponent(input.roomName)}?jwt=${jwt}`;
}

const keys = new Map<string, KeyObject>();

/** Parsed once per key: signing happens on every admit and status poll of an admitted patient. */
function privateKey(pem: string): KeyObject {
  let key = keys.get(pem);
  if (!key) {
    key = createPrivateKey(pem);
    if (keys.size > 1000) keys.clear();
    keys.set(pem, key);
  }
  return key;
}

/**
 * VideoKeyReader: the JaaS console hands out a PKCS#8 PEM, and a key made with `openssl genrsa` is
 * PKCS#1; both are stored as PKCS#8. Anything else (a public key, an EC key, a short RSA key) is
 * refused when the tenant config is saved rather than at the first admit.
 */
export function rsaPrivateKeyPem(pem: string): string | null {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa" || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return null;
    return key.export({ type: "pkcs8", format: "pem" }).toString();
  } catch {
    return null;
  }
}
