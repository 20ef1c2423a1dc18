import { notFound } from "../../domain/errors.js";
import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort } from "../../platform/ports.js";
import type { ParticipantQueries } from "./ports.js";
import { participantView, type ParticipantView } from "../../platform/session-view.js";

/** Spec: GetParticipantList — every participant of the session with its status. */
export class GetParticipantList {
  constructor(private readonly deps: { queries: ParticipantQueries; audit: AuditPort }) {}

  execute(actor: Actor, sessionId: string): Promise<{ items: ParticipantView[] }> {
    return audited(
      this.deps.audit,
      { actor, action: "participant.list", targets: { sessionId } },
      async () => {
        assertPermission(actor, "session.read");
        const participants = await this.deps.queries.participants(actor.tenantId, sessionId);
        if (!participants) throw notFound("session");
        return { items: participants.map(participantView) };
      },
      { auditSuccess: true },
    );
  }
}
