import type { ParticipantRole } from "../../domain/participant.js";
import { assertUnexpired, readJoinToken } from "./join-access.js";
import type { JoinTokenSignerPort, VideoLinkSigner } from "./ports.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";
import { loadLicensedConfig } from "../../platform/tenant-access.js";
import { videoJoinUrl } from "./video-access.js";

export type Destination = "waiting_room" | "direct_join";

export interface ValidationResult {
  destination: Destination;
  sessionId: string;
  participantId: string;
  role: ParticipantRole;
  videoJoinUrl?: string;
}

export interface ValidateJoinTokenDeps extends CommandDeps {
  signer: JoinTokenSignerPort;
  video: VideoLinkSigner;
}

/**
 * `POST /v1/join/validate` (ValidateJoinToken): the clinician joins directly; everyone else goes to the
 * waiting room while the tenant has it on. Validating moves the participant (idempotently) and
 * only a participant who ends up admitted gets a video URL: a join token never skips the
 * waiting room. One already admitted (a reload after admission) goes straight back in.
 */
export class ValidateJoinToken {
  constructor(private readonly deps: ValidateJoinTokenDeps) {}

  async execute(token: string | undefined): Promise<ValidationResult> {
    const { actor, claims } = readJoinToken(this.deps.signer, token);
    const { result } = await runSessionCommand(this.deps, {
      actor,
      action: "join.validate",
      sessionId: claims.sessionId,
      targets: { participantId: claims.participantId },
      precheck: () => assertUnexpired(claims, this.deps.clock.now()),
      // The patient cannot resolve a version conflict (a clinician admitting someone else at the
      // same moment): the change is idempotent, so it is simply redone on fresh state.
      retryOnConflict: true,
      change: async (session, now, tx) => {
        const config = await loadLicensedConfig(tx.tenantConfigs, claims.tenantId);
        const before = session.participant(claims.participantId);
        const direct = before.role === "clinician" || !config.waitingRoomEnabled || before.status === "admitted";
        const p = direct ? session.directJoin(before.id, now) : session.enterWaitingRoom(before.id, now);
        const result: ValidationResult = {
          destination: direct ? "direct_join" : "waiting_room",
          sessionId: session.id,
          participantId: p.id,
          role: p.role,
        };
        if (direct) {
          const state = session.snapshot();
          result.videoJoinUrl = await videoJoinUrl(this.deps.video, {
            tenantId: state.tenantId,
            config,
            video: state.video,
            scheduledEnd: state.scheduledEnd,
            participant: p,
            now,
          });
        }
        return result;
      },
    });
    return result;
  }
}
