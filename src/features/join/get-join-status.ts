import type { ParticipantStatus } from "../../domain/participant.js";
import { isJoinable, type SessionStatus } from "../../domain/session.js";
import { defaultTenantConfig } from "../../domain/tenant-config.js";
import { DomainError } from "../../domain/errors.js";
import { LICENSING_URL } from "../../platform/tenant-access.js";
import { audited } from "../../platform/audit.js";
import { assertUnexpired, isExpired, type JoinCredential } from "../../platform/join-credential.js";
import { assertJoinStateUsable } from "./join-access.js";
import type { AuditPort, Clock } from "../../platform/ports.js";
import type { JoinQueries, VideoLinkSigner } from "./ports.js";
import { videoJoinUrl } from "../../platform/video-access.js";

export interface JoinStatus {
  participantStatus: Exclude<ParticipantStatus, "removed">;
  sessionStatus: SessionStatus;
  videoJoinUrl?: string;
  /** When the participant entered the waiting room (server time), so a reload keeps the time waited. */
  waitingSince?: string;
  /** The server's clock now, so the page counts the wait from the server's time, not the device's. */
  serverTime: string;
  /** The tenant's video threshold, so the pre-call check can say before check-in whether video will work. */
  fallbackBandwidthKbps: number;
}

export interface GetJoinStatusDeps {
  joinQueries: JoinQueries;
  video: VideoLinkSigner;
  audit: AuditPort;
  clock: Clock;
}

/**
 * The waiting-room poll, the hottest route of the service: every waiting patient asks every few
 * seconds. A waiting answer costs one SQL statement and writes nothing — the token was checked at
 * the edge (pure CPU), and no audit row is written per poll (the validation that put the patient in the waiting
 * room, the admission and any removal are each audited once). The poll that hands out a video URL
 * is a grant of access and is audited (`join.rejoin`); it happens once per admission or reload.
 */
export class GetJoinStatus {
  private readonly recentRejoins = new RecentRejoins(REJOIN_AUDIT_WINDOW_MS, 100_000);

  constructor(private readonly deps: GetJoinStatusDeps) {}

  /**
   * `streaming`: a re-read for a stream opened while the link was valid. A link that expires
   * during the call must not silence the visit's end, cancel or removal (issue 19, item 2), so the
   * stream keeps reporting the state; an expired link is never handed a new video URL, though.
   */
  async execute({ actor, claims }: JoinCredential, opts: { streaming?: boolean } = {}): Promise<JoinStatus> {
    const now = this.deps.clock.now();
    const expired = isExpired(claims, now);
    if (!opts.streaming) assertUnexpired(claims, now);
    const state = await this.deps.joinQueries.joinState(claims.tenantId, claims.sessionId, claims.participantId);
    assertJoinStateUsable(state);
    const participantStatus = state.participant.status;
    if (participantStatus === "removed") throw new Error("unreachable: removed participants are refused above");
    // The page checks a newly opened link with this read (issue 19: validate waits for Continue), so
    // an invited participant of an unlicensed tenant hears now what validate would tell them.
    if (participantStatus === "invited" && !state.config?.licensed) {
      throw new DomainError("MODULE_NOT_LICENSED", "the virtual care module is not licensed for this tenant", { licensingUrl: LICENSING_URL });
    }
    const status: JoinStatus = { participantStatus, sessionStatus: state.sessionStatus, serverTime: now.toISOString(),
      fallbackBandwidthKbps: (state.config ?? defaultTenantConfig(claims.tenantId)).fallbackBandwidthKbps,
    };
    if (state.participant.waitingSince) status.waitingSince = state.participant.waitingSince.toISOString();
    // Video only for an admitted participant of a visit that is still on video (not in fallback).
    const onVideo = isJoinable(state.sessionStatus);
    if (state.participant.status !== "admitted" || !onVideo || !state.config?.licensed || expired) return status;
    const targets = { sessionId: claims.sessionId, participantId: claims.participantId };
    const grant = () =>
      videoJoinUrl(this.deps.video, {
        tenantId: claims.tenantId,
        config: state.config!,
        video: state.video,
        scheduledEnd: state.scheduledEnd,
        participant: state.participant,
        now,
      });
    // An admitted client that keeps polling wrote one join.rejoin row per poll: the grant is
    // audited once per participant and window (per replica) instead.
    const audit = this.recentRejoins.firstIn(claims.participantId, now.getTime());
    status.videoJoinUrl = audit ? await audited(this.deps.audit, { actor, action: "join.rejoin", targets }, grant, { auditSuccess: true }) : await grant();
    return status;
  }
}

/** A rejoin is audited at most once per participant in this window. */
export const REJOIN_AUDIT_WINDOW_MS = 10 * 60 * 1000;

/** Participants whose rejoin was audited recently; bounded (oldest forgotten first). */
class RecentRejoins {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  /** True when this is the first grant to the participant in the window (and starts a new one). */
  firstIn(participantId: string, nowMs: number): boolean {
    const at = this.seen.get(participantId);
    if (at !== undefined && nowMs - at < this.windowMs) return false;
    this.seen.delete(participantId);
    if (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(participantId, nowMs);
    return true;
  }
}
