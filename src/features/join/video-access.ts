import { DomainError } from "../../domain/errors.js";
import type { ParticipantRole } from "../../domain/participant.js";
import type { VideoRoom } from "../../domain/session.js";
import type { TenantConfig } from "../../domain/tenant-config.js";
import type { VideoLinkSigner } from "./ports.js";

/** The video JWT is valid until an hour after the scheduled end, so a mid-visit reconnect works. */
export const VIDEO_GRACE_MS = 60 * 60 * 1000;
/** Allowance for the Jitsi host's clock running behind ours, so a fresh link is not "not yet valid". */
export const VIDEO_CLOCK_SKEW_MS = 60 * 1000;

export interface VideoGrant {
  tenantId: string;
  config: TenantConfig;
  video: VideoRoom;
  scheduledEnd: Date;
  participant: { id: string; role: ParticipantRole; displayName: string };
  now: Date;
}

/**
 * The video join URL (`videoJoinUrl`, `https://{domain}/{roomName}?jwt=…`). Callers reach this only for an admitted participant; this is
 * the one place that decides who is moderator and how long the JWT lives.
 */
export async function videoJoinUrl(video: VideoLinkSigner, grant: VideoGrant): Promise<string> {
  const backend = grant.config.videoBackends.find((b) => b.name === grant.video.backend);
  if (!backend) {
    throw new DomainError("VIDEO_PROVIDER_UNAVAILABLE", "the video backend of this session is no longer configured", {
      diagnostic: { backend: grant.video.backend },
    });
  }
  const clinician = grant.participant.role === "clinician";
  const expiresAt = new Date(Math.max(grant.scheduledEnd.getTime(), grant.now.getTime()) + VIDEO_GRACE_MS);
  return video.joinUrl({
    tenantId: grant.tenantId,
    backend,
    roomName: grant.video.roomName,
    user: { id: grant.participant.id, name: grant.participant.displayName, moderator: clinician },
    issuedAt: grant.now,
    notBefore: new Date(grant.now.getTime() - VIDEO_CLOCK_SKEW_MS),
    expiresAt,
  });
}
