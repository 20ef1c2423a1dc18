import type { NewParticipant } from "../../domain/participant.js";
import { participantView, type ParticipantView } from "../../platform/session-view.js";
import { runSessionCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor, IdGenerator } from "../../platform/ports.js";
import { loadLicensedConfig } from "../../platform/tenant-access.js";

/** Invites one more participant, within the tenant's `maxParticipants` (`POST /v1/sessions/{id}/participants`; 422 MAX_PARTICIPANTS_EXCEEDED). */
export class AddParticipant {
  constructor(private readonly deps: CommandDeps & { ids: IdGenerator }) {}

  async execute(
    actor: Actor,
    sessionId: string,
    participant: NewParticipant,
    expectedVersion?: number,
  ): Promise<{ participant: ParticipantView; version: number }> {
    const { session, result } = await runSessionCommand(this.deps, {
      actor,
      permission: participant.role === "clinician" ? "participant.add_clinician" : "participant.add",
      action: "participant.add",
      sessionId,
      expectedVersion,
      change: async (s, now, tx) => {
        const config = await loadLicensedConfig(tx.tenantConfigs, actor.tenantId);
        return s.addParticipant({ ...participant, id: this.deps.ids.uuid() }, config.maxParticipants, now);
      },
    });
    return { participant: participantView(result), version: session.version };
  }
}
