import type { ParticipantStatus } from "../../domain/participant.js";
import { isJoinable, type SessionStatus } from "../../domain/session.js";
import { audited } from "../../platform/audit.js";
import { assertJoinStateUsable, assertUnexpired, readJoinToken } from "./join-access.js";
import type { AuditPort, Clock } from "../../platform/ports.js";
import type { JoinQueries, JoinTokenSignerPort, VideoLinkSigner } from "./ports.js";
import { videoJoinUrl } from "./video-access.js";

export interface JoinStatus {
  participantStatus: Exclude<ParticipantStatus, "removed">;
  sessionStatus: SessionStatus;
  videoJoinUrl?: string;
}

export interface GetJoinStatusDeps {
  joinQueries: JoinQueries;
  signer: JoinTokenSignerPort;
  video: VideoLinkSigner;
  audit: AuditPort;
  clock: Clock;
}

/**
 * The waiting-room poll, the hottest route of the service: every waiting patient asks every few
 * seconds. A waiting answer costs one SQL statement and writes nothing — the token check is pure
 * CPU, and no audit row is written per poll (the validation that put the patient in the waiting
 * room, the admission and any removal are each audited once). The poll that hands out a video URL
 * is a grant of access and is audited (`join.rejoin`); it happens once per admission or reload.
 */
export class GetJoinStatus {
  private readonly recentRejoins = new RecentRejoins(REJOIN_AUDIT_WINDOW_MS, 100_000);

  constructor(private readonly deps: GetJoinStatusDeps) {}

  async execute(token: string | undefined): Promise<JoinStatus> {
    const { actor, claims } = readJoinToken(this.deps.signer, token);
    const now = this.deps.clock.now();
    assertUnexpired(claims, now);
    const state = await this.deps.joinQueries.joinState(claims.tenantId, claims.sessionId, claims.participantId);
    assertJoinStateUsable(state);
    const participantStatus = state.participant.status;
    if (participantStatus === "removed") throw new Error("unreachable: removed participants are refused above");
    const status: JoinStatus = { participantStatus, sessionStatus: state.sessionStatus };
    // Video only for an admitted participant of a visit that is still on video (not in fallback).
    const onVideo = isJoinable(state.sessionStatus);
    if (state.participant.status !== "admitted" || !onVideo || !state.config?.licensed) return status;
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
