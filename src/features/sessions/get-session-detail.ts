import { notFound } from "../../domain/errors.js";
import { audited } from "../../platform/audit.js";
import { assertPermission } from "../../platform/authorization.js";
import type { Actor, AuditPort } from "../../platform/ports.js";
import type { SessionQueries } from "./ports.js";
import { sessionView, type SessionView } from "../../platform/session-view.js";

/** Spec: GetSessionDetail — the full session with its participants. */
export class GetSessionDetail {
  constructor(private readonly deps: { queries: SessionQueries; audit: AuditPort }) {}

  execute(actor: Actor, sessionId: string): Promise<SessionView> {
    return audited(
      this.deps.audit,
      { actor, action: "session.read", targets: { sessionId } },
      async () => {
        assertPermission(actor, "session.read");
        // The success entry commits with the read (one transaction); a refusal is audited by `audited`.
        const session = await this.deps.queries.getAudited(actor.tenantId, sessionId, { actor, action: "session.read", targets: { sessionId }, outcome: "success" });
        if (!session) throw notFound("session");
        return sessionView(session);
      },
    );
  }
}
