import type { ParticipantStatus } from "../../domain/participant.js";
import type { SessionStatus } from "../../domain/session.js";
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
    const onVideo = state.sessionStatus === "in_progress" || state.sessionStatus === "scheduled";
    if (state.participant.status !== "admitted" || !onVideo || !state.config?.licensed) return status;
    const targets = { sessionId: claims.sessionId, participantId: claims.participantId };
    status.videoJoinUrl = await audited(
      this.deps.audit,
      { actor, action: "join.rejoin", targets },
      () =>
        videoJoinUrl(this.deps.video, {
          tenantId: claims.tenantId,
          config: state.config!,
          video: state.video,
          scheduledEnd: state.scheduledEnd,
          participant: state.participant,
          now,
        }),
      { auditSuccess: true },
    );
    return status;
  }
}
