import { createHash } from "node:crypto";
import { DomainError, notFound } from "../../domain/errors.js";
import { actorId } from "../../platform/authorization.js";
import { runCommand, type CommandDeps } from "../../platform/command.js";
import type { Actor, IdGenerator } from "../../platform/ports.js";
import type { AsyncVisitTx } from "./ports.js";

export interface AsyncVisitReplyView {
  id: string;
  asyncVisitId: string;
  text: string;
  authorId: string;
  repliedAt: string;
}

export interface ReplyToAsyncVisitDeps extends CommandDeps<AsyncVisitTx> {
  ids: IdGenerator;
}

/**
 * A clinician answers a written visit (issue 19). The reply is stored with the visit (its version
 * moves: the optimistic lock), audited and announced (`async_visit.replied`, ids only) in one
 * transaction. A reply only appends, so a lost race with a review or another reply is rerun rather
 * than answered 409. An `Idempotency-Key` makes a resent reply (a double click, a retried request)
 * return the first answer and store nothing more, as a submission does.
 */
export class ReplyToAsyncVisit {
  constructor(private readonly deps: ReplyToAsyncVisitDeps) {}

  async execute(actor: Actor, visitId: string, body: { text: string }, idempotencyKey?: string): Promise<AsyncVisitReplyView> {
    const idem = idempotencyKey
      ? { key: `async-visit-reply:${actorId(actor)}:${idempotencyKey}`, requestHash: createHash("sha256").update(JSON.stringify([visitId, body.text])).digest("hex") }
      : undefined;
    try {
      return await this.reply(actor, visitId, body, idem);
    } catch (err) {
      if (!(err instanceof ReplyRace) || !idem) throw err;
      // A concurrent twin with the same key committed first: its answer is ours.
      return this.deps.uow.run(actor.tenantId, async (tx) => (await replay(tx, actor.tenantId, idem))!);
    }
  }

  private async reply(actor: Actor, visitId: string, body: { text: string }, idem?: { key: string; requestHash: string }): Promise<AsyncVisitReplyView> {
    return runCommand(
      this.deps,
      { actor, permission: "async_visit.reply", action: "async_visit.reply", targets: { asyncVisitId: visitId }, retryOnConflict: true },
      async (tx, now) => {
        const replayed = idem && (await replay(tx, actor.tenantId, idem));
        if (replayed) return replayed;
        const visit = await tx.asyncVisits.findById(actor.tenantId, visitId);
        if (!visit) throw notFound("async visit");
        const loaded = visit.version;
        const reply = visit.reply({ id: this.deps.ids.uuid(), authorId: actorId(actor), text: body.text }, now);
        await tx.asyncVisits.save(visit, loaded);
        const view: AsyncVisitReplyView = { id: reply.id, asyncVisitId: visitId, text: reply.text, authorId: reply.authorId, repliedAt: reply.repliedAt.toISOString() };
        if (idem && !(await tx.idempotency.save({ tenantId: actor.tenantId, ...idem, statusCode: 201, body: view }))) throw new ReplyRace();
        return view;
      },
      { auditTargets: (r) => ({ replyId: r.id }) },
    );
  }
}

class ReplyRace extends Error {}

async function replay(tx: AsyncVisitTx, tenantId: string, idem: { key: string; requestHash: string }): Promise<AsyncVisitReplyView | null> {
  const previous = await tx.idempotency.find(tenantId, idem.key);
  if (!previous) return null;
  if (previous.requestHash !== idem.requestHash) throw new DomainError("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used for a different reply");
  return previous.body as AsyncVisitReplyView;
}
