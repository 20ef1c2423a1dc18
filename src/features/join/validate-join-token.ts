import type { ParticipantRole } from "../../domain/participant.js";
import { isJoinable } from "../../domain/session.js";
import type { TenantConfig } from "../../domain/tenant-config.js";
import { assertUnexpired, isExpired, type JoinCredential } from "../../platform/join-credential.js";
import type { JoinQueries, JoinState, VideoLinkSigner } from "./ports.js";
import { audited } from "../../platform/audit.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";
import { loadLicensedConfig } from "../../platform/tenant-access.js";
import { videoJoinUrl, type VideoGrant } from "../../platform/video-access.js";

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
  video: VideoLinkSigner;
}

/**
 * `POST /v1/join/validate` (ValidateJoinToken): the clinician joins directly; everyone else goes to the
 * waiting room while the tenant has it on. Validating moves the participant (idempotently) and
 * only a participant who ends up admitted gets a video URL: a join token never skips the
 * waiting room. One already admitted (a reload after admission) goes straight back in.
 *
 * Most validations change nothing (every reload of the waiting-room page sends one): those are
 * answered from the join-state read (`unchanged`) instead of a read-write transaction of six round
 * trips. For a patient kept waiting the read writes the success audit row itself, in the same
 * statement (issue 23); a direct join's row is group-committed after its video URL is signed.
 * Anything else (a move is due, or a refusal, which the command audits with its reason) runs as
 * the command.
 */
export class ValidateJoinToken {
  constructor(private readonly deps: ValidateJoinTokenDeps) {}

  /** `credential`: the join token as the edge verified it (signature only; expiry is judged here). */
  async execute(credential: JoinCredential): Promise<ValidationResult> {
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
    const targets = { sessionId: claims.sessionId, participantId: claims.participantId };
    const entry = { actor, action: "join.validate" as const, targets };
    // A read that fails (a timeout, a full pool) is not answered here: the command runs and
    // audits its own outcome, as it always did. For a patient the waiting room keeps waiting, the
    // success entry is committed with the read (the adapter writes it only for such a state).
    const state = await this.deps.joinQueries.joinStateAudited(claims.tenantId, claims.sessionId, claims.participantId, { ...entry, outcome: "success" }).catch(() => null);
    const config = state?.config;
    if (!state || !config) return null;
    const p = state.participant;
    const direct = joinsDirectly(p, config);
    // Kept waiting (keepsWaiting, the state whose audit row the read may have written), or an
    // admitted participant or clinician coming back (a direct join).
    const unchanged = direct ? config.licensed && isJoinable(state.sessionStatus) && p.status === "admitted" : keepsWaiting(state);
    if (!unchanged) return null;
    const grant = { tenantId: claims.tenantId, config, video: state.video, scheduledEnd: state.scheduledEnd, participant: p, now };
    // Audited as the command is: success after the answer is ready (unless the read wrote it),
    // or the failure (e.g. a video secret that cannot be opened) with its reason.
    return audited(this.deps.audit, entry, () => this.answer(direct, claims.sessionId, grant), { auditSuccess: !state.audited });
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

/**
 * A validation that changes nothing and keeps a patient waiting: the state whose success audit the
 * join-state read may write itself (JoinQueries.joinStateAudited). Exported for the test that
 * holds the adapter's SQL to it.
 */
export function keepsWaiting(state: Pick<JoinState, "sessionStatus" | "participant" | "config">): boolean {
  const config = state.config;
  if (!config?.licensed || !isJoinable(state.sessionStatus)) return false;
  return !joinsDirectly(state.participant, config) && state.participant.status === "waiting";
}

/** The clinician joins directly, as does anyone while the waiting room is off or once admitted. */
function joinsDirectly(p: { role: ParticipantRole; status: string }, config: TenantConfig): boolean {
  return p.role === "clinician" || !config.waitingRoomEnabled || p.status === "admitted";
}
