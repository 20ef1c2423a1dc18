import type { AsyncVisitState } from "../../domain/async-visit.js";
import { DomainError, notFound } from "../../domain/errors.js";
import { audited } from "../../platform/audit.js";
import type { Actor, AuditPort, UnitOfWork } from "../../platform/ports.js";
import type { AsyncVisitQueries, AsyncVisitTx } from "./ports.js";

/** What a patient sees of a written visit they sent: no staff ids, no reviewer, no attachment bytes. */
export interface OwnAsyncVisitView {
  id: string;
  status: string;
  text: string;
  attachments: Array<{ filename: string; contentType: string; sizeBytes: number }>;
  submittedAt: string;
  replies: Array<{ id: string; text: string; repliedAt: string }>;
}

export interface ListOwnAsyncVisitsDeps {
  uow: UnitOfWork<AsyncVisitTx>;
  queries: AsyncVisitQueries;
  audit: AuditPort;
}

/**
 * The patient's (or caregiver's) own written visits with the clinic's replies, read with their join
 * token: the session and participant come from the verified token, never from the request, so a
 * holder sees only what they sent on this link. A read of patient data: audited, success included.
 * A removed participant reads nothing (403, as for every other use of their token).
 */
export class ListOwnAsyncVisits {
  constructor(private readonly deps: ListOwnAsyncVisitsDeps) {}

  execute(actor: Actor): Promise<{ items: OwnAsyncVisitView[] }> {
    if (actor.kind !== "participant") return Promise.reject(new DomainError("FORBIDDEN", "this read is for the holder of a join link"));
    const who = { sessionId: actor.sessionId, participantId: actor.participantId };
    return audited(
      this.deps.audit,
      { actor, action: "async_visit.list_own", targets: who },
      async () => {
        await this.deps.uow.run(actor.tenantId, async (tx) => {
          const session = await tx.sessions.findById(actor.tenantId, who.sessionId);
          const me = session?.snapshot().participants.find((p) => p.id === who.participantId);
          if (!me) throw notFound("participant");
          if (me.status === "removed") throw new DomainError("PARTICIPANT_REMOVED", "you were removed from this visit");
        });
        const visits = await this.deps.queries.submittedBy(actor.tenantId, who);
        return { items: visits.map(ownView) };
      },
      { auditSuccess: true },
    );
  }
}

function ownView(v: AsyncVisitState): OwnAsyncVisitView {
  return {
    id: v.id,
    status: v.status,
    text: v.text,
    attachments: v.attachments.map(({ filename, contentType, sizeBytes }) => ({ filename, contentType, sizeBytes })),
    submittedAt: v.submittedAt.toISOString(),
    replies: v.replies.map((r) => ({ id: r.id, text: r.text, repliedAt: r.repliedAt.toISOString() })),
  };
}
