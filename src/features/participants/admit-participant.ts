import { participantView, type ParticipantView } from "../../platform/session-view.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";
import { loadLicensedConfig } from "../../platform/tenant-access.js";
import { videoJoinUrl, type VideoLinkSigner } from "../../platform/video-access.js";

export interface AdmissionResult {
  participant: ParticipantView;
  videoJoinUrl: string;
  version: number;
}

/**
 * Spec AdmitParticipant: waiting → admitted (the first admission starts the visit) and the
 * admitted participant's video join URL. Admitting anyone not in the waiting room is a 409; of two
 * clinicians admitting at once, the second meets the optimistic lock (409) — one admission.
 */
export class AdmitParticipant {
  constructor(private readonly deps: CommandDeps & { video: VideoLinkSigner }) {}

  async execute(actor: Actor, sessionId: string, participantId: string, expectedVersion?: number): Promise<AdmissionResult> {
    const { session, result } = await runSessionCommand(this.deps, {
      actor,
      permission: "participant.admit",
      action: "participant.admit",
      sessionId,
      expectedVersion,
      targets: { participantId },
      change: async (s, now, tx) => {
        const config = await loadLicensedConfig(tx.tenantConfigs, actor.tenantId);
        const participant = s.admit(participantId, now);
        const state = s.snapshot();
        // Signed inside the transaction: if the backend secret cannot be opened, nobody is admitted
        // into a room they could not enter.
        const url = await videoJoinUrl(this.deps.video, {
          tenantId: state.tenantId,
          config,
          video: state.video,
          scheduledEnd: state.scheduledEnd,
          participant,
          now,
        });
        return { participant, url };
      },
    });
    return { participant: participantView(result.participant), videoJoinUrl: result.url, version: session.version };
  }
}
