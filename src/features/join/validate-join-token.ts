import type { ParticipantRole } from "../../domain/participant.js";
import { auditEvent, audited } from "../../platform/audit.js";
import { retryOnConflict } from "../../platform/conflict-retry.js";
import { assertUnexpired, readJoinToken } from "./join-access.js";
import type { AuditPort, Clock, JoinTokenSignerPort, UnitOfWork, VideoProviderPort } from "../../platform/ports.js";
import { loadSession } from "../../platform/command.js";
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

export interface ValidateJoinTokenDeps {
  uow: UnitOfWork;
  signer: JoinTokenSignerPort;
  video: VideoProviderPort;
  audit: AuditPort;
  clock: Clock;
}

/**
 * Spec ValidateJoinToken (contract §4): the clinician joins directly; everyone else goes to the
 * waiting room while the tenant has it on. Validating moves the participant (idempotently) and
 * only a participant who ends up admitted gets a video URL: a join token never skips the
 * waiting room. One already admitted (a reload after admission) goes straight back in.
 */
export class ValidateJoinToken {
  constructor(private readonly deps: ValidateJoinTokenDeps) {}

  async execute(token: string | undefined): Promise<ValidationResult> {
    const { actor, claims } = readJoinToken(this.deps.signer, token);
    const targets = { sessionId: claims.sessionId, participantId: claims.participantId };
    return audited(this.deps.audit, { actor, action: "join.validate", targets }, async () => {
      assertUnexpired(claims, this.deps.clock.now());
      // The patient cannot resolve a version conflict (a clinician admitting someone else at the
      // same moment): the change is idempotent, so it is simply redone on fresh state.
      return retryOnConflict(() =>
        this.deps.uow.run(async (tx) => {
          const session = await loadSession(tx, claims.tenantId, claims.sessionId);
          const config = await loadLicensedConfig(tx.tenantConfigs, claims.tenantId);
          const now = this.deps.clock.now();
          const before = session.participant(claims.participantId);
          const direct = before.role === "clinician" || !config.waitingRoomEnabled || before.status === "admitted";
          const loaded = session.version;
          const p = direct ? session.directJoin(before.id, now) : session.enterWaitingRoom(before.id, now);
          if (session.hasChanges) await tx.sessions.save(session, loaded);
          await tx.outbox.add([auditEvent({ actor, action: "join.validate", outcome: "success", targets }, now)]);
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
        }),
      );
    });
  }
}
