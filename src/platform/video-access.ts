import { DomainError } from "../domain/errors.js";
import type { ParticipantRole } from "../domain/participant.js";
import { MAX_VISIT_MS, type VideoRoom } from "../domain/session.js";
import type { TenantConfig, VideoBackend } from "../domain/tenant-config.js";

export interface VideoJoinInput {
  tenantId: string;
  backend: VideoBackend;
  roomName: string;
  user: { id: string; name: string; moderator: boolean };
  /** When the link is signed (the JWT's `iat`). */
  issuedAt: Date;
  /** A little before issuedAt, for a Jitsi host whose clock lags (`nbf`). */
  notBefore: Date;
  /** The earliest moment the JWT may stop working (`exp` is never before it). */
  expiresAt: Date;
}

/** Signed video links (the spec's VideoProviderPort, join side): admission, direct join, rejoin. */
export interface VideoLinkSigner {
  /** `https://{domain}/{roomName}?jwt={jwt}` with the backend's signed video JWT. */
  joinUrl(input: VideoJoinInput): Promise<string>;
}

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
 * When a video JWT stops working: the scheduled end plus the grace hour (contract §5), but never
 * more than the longest visit plus that hour after it is issued. A row stored before scheduledEnd
 * was bounded (or rigged in the database) must not mint a JWT valid until 9999: Jitsi cannot be
 * told to revoke one, so its lifetime is the whole exposure. A visit that runs on past the cap gets
 * a fresh JWT from the status poll on reconnect.
 */
export function videoJwtExpiry(scheduledEnd: Date, now: Date): Date {
  const wanted = Math.max(scheduledEnd.getTime(), now.getTime()) + VIDEO_GRACE_MS;
  return new Date(Math.min(wanted, now.getTime() + MAX_VISIT_MS + VIDEO_GRACE_MS));
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
  const expiresAt = videoJwtExpiry(grant.scheduledEnd, grant.now);
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
