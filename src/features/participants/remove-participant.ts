import { participantView, type ParticipantView } from "../../platform/session-view.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor } from "../../platform/ports.js";

/**
 * Spec RemoveParticipant: invited, waiting or admitted → removed. From then on every join token
 * of that participant answers 403 PARTICIPANT_REMOVED, and no new one is issued.
 */
export class RemoveParticipant {
  constructor(private readonly deps: CommandDeps) {}

  async execute(
    actor: Actor,
    sessionId: string,
    participantId: string,
    expectedVersion?: number,
  ): Promise<{ participant: ParticipantView; version: number }> {
    const { session, result } = await runSessionCommand(this.deps, {
      actor,
      permission: "participant.remove",
      action: "participant.remove",
      sessionId,
      expectedVersion,
      targets: { participantId },
      change: (s, now) => s.removeParticipant(participantId, now),
    });
    return { participant: participantView(result), version: session.version };
  }
}
