import type { ParticipantRole } from "../../domain/participant.js";
import { isJoinable } from "../../domain/session.js";
import type { TenantConfig } from "../../domain/tenant-config.js";
import { assertUnexpired, isExpired, readJoinToken, type JoinCredential } from "./join-access.js";
import type { JoinQueries, JoinTokenSignerPort, VideoLinkSigner } from "./ports.js";
import { audited } from "../../platform/audit.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";
import { loadLicensedConfig } from "../../platform/tenant-access.js";
import { videoJoinUrl, type VideoGrant } from "./video-access.js";

export type Destination = "waiting_room" | "direct_join";

export interface ValidationResult {
  destination: Destination;
  sessionId: string;
  participantId: string;
  role: ParticipantRole;
  videoJoinUrl?: string;
}

export interface ValidateJoinTokenDeps extends CommandDeps {
  joinQueries: JoinQueries;
  signer: JoinTokenSignerPort;
  video: VideoLinkSigner;
}

/**
 * `POST /v1/join/validate` (ValidateJoinToken): the clinician joins directly; everyone else goes to the
 * waiting room while the tenant has it on. Validating moves the participant (idempotently) and
 * only a participant who ends up admitted gets a video URL: a join token never skips the
 * waiting room. One already admitted (a reload after admission) goes straight back in.
 *
 * Most validations change nothing (every reload of the waiting-room page sends one): those are
 * answered from the join-state read (the poll's read-only transaction) with their audit row
 * group-committed (`unchanged`), instead of a read-write transaction of six round trips. Anything
 * else (a move is due, or a refusal, which the command audits with its reason) runs as the command.
 */
export class ValidateJoinToken {
  constructor(private readonly deps: ValidateJoinTokenDeps) {}

  async execute(token: string | undefined): Promise<ValidationResult> {
    const credential = readJoinToken(this.deps.signer, token);
    return (await this.unchanged(credential)) ?? this.asCommand(credential);
  }

  /**
   * The answer when validating changes nothing: the session is joinable, the tenant licensed, and
   * the participant already where the command would put it (waiting, or admitted for a direct
   * join). The same success row is audited as the command writes, and the answer waits for it.
   * A concurrent admission may land just after the read: the answer is then the poll's one
   * moment early, as after any read; the next status poll hands out the video URL.
   */
  private async unchanged({ actor, claims }: JoinCredential): Promise<ValidationResult | null> {
    const now = this.deps.clock.now();
    if (isExpired(claims, now)) return null;
    // A read that fails (a timeout, a full pool) is not answered here: the command runs and
    // audits its own outcome, as it always did.
    const state = await this.deps.joinQueries.joinState(claims.tenantId, claims.sessionId, claims.participantId).catch(() => null);
    const config = state?.config;
    if (!state || !config?.licensed || !isJoinable(state.sessionStatus)) return null;
    const p = state.participant;
    const direct = joinsDirectly(p, config);
    if (p.status !== (direct ? "admitted" : "waiting")) return null;
    const targets = { sessionId: claims.sessionId, participantId: claims.participantId };
    const grant = { tenantId: claims.tenantId, config, video: state.video, scheduledEnd: state.scheduledEnd, participant: p, now };
    // Audited as the command is: success after the answer is ready, or the failure (e.g. a video
    // secret that cannot be opened) with its reason.
    return audited(this.deps.audit, { actor, action: "join.validate", targets }, () => this.answer(direct, claims.sessionId, grant), { auditSuccess: true });
  }

  private async asCommand({ actor, claims }: JoinCredential): Promise<ValidationResult> {
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
        const direct = joinsDirectly(before, config);
        const p = direct ? session.directJoin(before.id, now) : session.enterWaitingRoom(before.id, now);
        const state = session.snapshot();
        return this.answer(direct, session.id, { tenantId: state.tenantId, config, video: state.video, scheduledEnd: state.scheduledEnd, participant: p, now });
      },
    });
    return result;
  }

  /** Where the participant goes; a video URL only for one who joins directly (admitted). */
  private async answer(direct: boolean, sessionId: string, grant: VideoGrant): Promise<ValidationResult> {
    const { participant } = grant;
    const result: ValidationResult = { destination: direct ? "direct_join" : "waiting_room", sessionId, participantId: participant.id, role: participant.role };
    if (direct) result.videoJoinUrl = await videoJoinUrl(this.deps.video, grant);
    return result;
  }
}

/** The clinician joins directly, as does anyone while the waiting room is off or once admitted. */
function joinsDirectly(p: { role: ParticipantRole; status: string }, config: TenantConfig): boolean {
  return p.role === "clinician" || !config.waitingRoomEnabled || p.status === "admitted";
}
