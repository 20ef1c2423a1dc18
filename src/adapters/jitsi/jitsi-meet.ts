import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import type { SecretStorePort } from "../../features/tenant-config/ports.js";
import type { VideoJoinInput, VideoLinkSigner } from "../../features/join/ports.js";
import type { RoomProvisioner } from "../../features/sessions/ports.js";
import type { VideoBackend } from "../../domain/tenant-config.js";
import { jaasJoinUrl } from "./jaas.js";

/**
 * The spec's VideoProviderPort for Jitsi Meet with token authentication (prosody `mod_auth_token`),
 * self-hosted (HS256, below) or 8x8's Jitsi as a Service (RS256, jaas.ts). Jitsi
 * creates a room when its first participant joins, so "provisioning" is choosing an unguessable
 * room name; what guards the room is the HS256 JWT signed with the backend's app secret.
 */
export class JitsiMeetAdapter implements RoomProvisioner, VideoLinkSigner {
  constructor(private readonly secrets: SecretStorePort) {}

  async createRoom(_backend: VideoBackend): Promise<{ roomName: string }> {
    // 160 bits, lower-case base32-ish hex: Jitsi room names are case-insensitive.
    return { roomName: `vc-${randomBytes(20).toString("hex")}` };
  }

  async joinUrl(input: VideoJoinInput): Promise<string> {
    const secret = await this.secrets.open(input.backend.secretEnvelope, input.tenantId);
    if (input.backend.provider === "jaas") return jaasJoinUrl(input, secret);
    const jwt = await new SignJWT({
      room: input.roomName,
      context: {
        user: {
          id: input.user.id,
          name: input.user.name,
          affiliation: input.user.moderator ? "owner" : "member",
          moderator: input.user.moderator,
        },
      },
    })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setAudience("jitsi")
      .setIssuer(input.backend.appId)
      // Jitsi's token docs: `sub` is the lower-case domain (prosody compares it lower-cased).
      .setSubject(input.backend.domain.toLowerCase())
      // JWT times are whole seconds: round toward "valid": nbf and iat down, exp up, so the
      // token is never shorter than promised (scheduledEnd + 1 h is a floor, not a target).
      .setNotBefore(Math.floor(input.notBefore.getTime() / 1000))
      .setIssuedAt(Math.floor(input.issuedAt.getTime() / 1000))
      .setExpirationTime(Math.ceil(input.expiresAt.getTime() / 1000))
      .sign(new TextEncoder().encode(secret));
    return `https://${input.backend.domain}/${encodeURIComponent(input.roomName)}?jwt=${jwt}`;
  }
}
