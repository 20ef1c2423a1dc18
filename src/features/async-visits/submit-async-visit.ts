import { createHash } from "node:crypto";
import { isFhirId } from "../../domain/identifiers.js";
import { ASYNC_VISIT_LIMITS, AsyncVisit } from "../../domain/async-visit.js";
import { DomainError, notFound, validationFailed } from "../../domain/errors.js";
import type { SessionState } from "../../domain/session.js";
import { actorId, assertPermission } from "../../platform/authorization.js";
import { audited } from "../../platform/audit.js";
import { runCommand, type CommandDeps, type CommandHead } from "../../platform/command.js";
import type { Actor, IdGenerator } from "../../platform/ports.js";
import { AttachmentIntake, type ArrivingAttachment, type StagedAttachment } from "./attachment-intake.js";
import type { AsyncVisitTx, AttachmentStore, FileTypeDetector, NewAttachment } from "./ports.js";
import { loadLicensedConfig } from "../../platform/tenant-access.js";
import { UploadLedger, type QuotaLeft, type UploadBudget } from "./upload-budget.js";

export interface AsyncVisitCommand {
  patientId?: string;
  providerId?: string;
  sessionId?: string;
  text: string;
  /** Received and staged with `receiveAttachment`, in the order they arrived. */
  attachments: StagedAttachment[];
}

export interface SubmitAsyncVisitDeps extends CommandDeps<AsyncVisitTx> {
  ids: IdGenerator;
  files: FileTypeDetector;
  attachments: AttachmentStore;
}

/** Room for the text, the other fields and the multipart framing in a request's declared length. */
const FORM_OVERHEAD_BYTES = 1024 * 1024;

/** Participants who may send store-and-forward content about the patient of their session. */
const SUBMITTING_ROLES = new Set(["patient", "caregiver"]);

/**
 * Spec SubmitAsyncVisit: validate the offline content (text and attachments, recognised by their
 * bytes), persist it, queue it for the provider and announce it, all in one transaction; a refused
 * submission stores nothing. Staff name the patient and provider; a participant (join token) submits
 * for the patient and provider of their own session.
 */
export class SubmitAsyncVisit {
  private readonly intake: AttachmentIntake;
  private readonly uploads = new UploadLedger();

  constructor(private readonly deps: SubmitAsyncVisitDeps) {
    this.intake = new AttachmentIntake(deps);
  }

  /**
   * Before any of the body is read: whether this submitter may send at all (their session, its
   * window, their quota) and whether a body of `declaredBytes` could fit what is left of it, so a
   * spent token is refused without receiving 25 MB. `execute` checks again with the real sizes.
   * The answer is the budget the attachments are counted against as they stream in (a chunked
   * request declares no length); the caller closes it once the submission committed or failed.
   */
  checkBeforeUpload(actor: Actor, declaredBytes: number): Promise<UploadBudget> {
    const action = "async_visit.submit";
    return audited(this.deps.audit, { actor, action, targets: actor.kind === "participant" ? { sessionId: actor.sessionId } : {} }, async () => {
      if (actor.kind !== "participant") assertPermission(actor, "async_visit.submit");
      const attachmentBytes = Math.max(0, declaredBytes - FORM_OVERHEAD_BYTES);
      const left = await this.deps.uow.run(actor.tenantId, async (tx) => {
        const now = this.deps.clock.now();
        await loadLicensedConfig(tx.tenantConfigs, actor.tenantId);
        if (actor.kind === "participant") await this.resolveParties(tx, actor, { text: "", attachments: [] }, now);
        return this.assertWithinQuota(tx, actor, attachmentBytes, now);
      });
      return this.uploads.open(left);
    });
  }

  /** Checks and stages one attachment as it streams in (see AttachmentIntake). */
  receiveAttachment(actor: Actor, index: number, arriving: ArrivingAttachment, budget?: UploadBudget): Promise<StagedAttachment> {
    return this.intake.receive(actor.tenantId, index, arriving, budget);
  }

  /** For a form that failed after some attachments were staged. */
  discardAttachments(actor: Actor, staged: readonly StagedAttachment[]): Promise<void> {
    return this.intake.discard(actor.tenantId, staged.map((a) => a.id));
  }

  /**
   * With an `idempotencyKey`, a repeated submission (a phone's offline queue resending after a
   * lost answer) returns the first answer and stores nothing more; the same key with different
   * content is refused. The key is scoped to its submitter, so nobody can probe another's keys.
   */
  async execute(actor: Actor, command: AsyncVisitCommand, idempotencyKey?: string): Promise<{ id: string; status: string }> {
    const result = await this.submitOnce(actor, command, idempotencyKey).catch(async (err: unknown) => {
      await this.discardAttachments(actor, command.attachments);
      throw err;
    });
    // A replayed answer stored nothing of this request: its staged bytes go.
    if (!result.stored) await this.discardAttachments(actor, command.attachments);
    return { id: result.id, status: result.status };
  }

  private async submitOnce(actor: Actor, command: AsyncVisitCommand, idempotencyKey?: string): Promise<{ id: string; status: string; stored: boolean }> {
    if (!idempotencyKey) return this.submit(actor, command);
    const key = `async-visit:${actorId(actor)}:${idempotencyKey}`;
    const requestHash = hashSubmission(command);
    try {
      return await this.submit(actor, command, { key, requestHash });
    } catch (err) {
      if (!(err instanceof SubmissionRace)) throw err;
      // A concurrent twin committed first: its answer is ours.
      const first = await this.deps.uow.run(actor.tenantId, async (tx) => (await this.replay(tx, actor.tenantId, key, requestHash))!);
      return { ...first, stored: false };
    }
  }

  private async replay(tx: AsyncVisitTx, tenantId: string, key: string, requestHash: string): Promise<{ id: string; status: string } | null> {
    const previous = await tx.idempotency.find(tenantId, key);
    if (!previous) return null;
    if (previous.requestHash !== requestHash) throw new DomainError("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used for a different submission");
    return previous.body as { id: string; status: string };
  }

  private async submit(actor: Actor, command: AsyncVisitCommand, idem?: { key: string; requestHash: string }): Promise<{ id: string; status: string; stored: boolean }> {
    const head: CommandHead = {
      actor,
      // A participant's verified join token is its permission; staff need the role.
      permission: actor.kind === "participant" ? undefined : "async_visit.submit",
      action: "async_visit.submit",
      targets: actor.kind === "participant" ? { sessionId: actor.sessionId } : {},
    };
    const { id, stored } = await runCommand(
      this.deps,
      head,
      async (tx, now) => {
        const replayed = idem && (await this.replay(tx, actor.tenantId, idem.key, idem.requestHash));
        if (replayed) return { id: replayed.id, sessionId: actor.kind === "participant" ? actor.sessionId : null, stored: false };
        const incoming = command.attachments;
        await loadLicensedConfig(tx.tenantConfigs, actor.tenantId);
        const who = await this.resolveParties(tx, actor, command, now);
        await this.assertWithinQuota(tx, actor, incoming.reduce((n, a) => n + a.sizeBytes, 0), now);
        const id = this.deps.ids.uuid();
        const files: NewAttachment[] = incoming.map((a, position) => ({
          id: a.id,
          position,
          contentType: a.detectedType ?? "application/octet-stream",
          filename: a.filename,
          sizeBytes: a.sizeBytes,
          sha256: a.sha256,
        }));
        const visit = AsyncVisit.submit(
          {
            id,
            tenantId: actor.tenantId,
            ...who,
            submittedBy: { kind: actor.kind === "participant" ? "participant" : "staff", id: actorId(actor) },
            text: command.text,
            attachments: files.map((f) => ({ id: f.id, position: f.position, contentType: f.contentType, filename: f.filename, sizeBytes: f.sizeBytes })),
            submittedAt: now,
          },
          incoming,
        );
        await tx.asyncVisits.insert(visit, files);
        await tx.offlineQueue.enqueue(actor.tenantId, { visitId: id, providerId: who.providerId, enqueuedAt: now });
        if (idem && !(await tx.idempotency.save({ tenantId: actor.tenantId, ...idem, statusCode: 201, body: { id, status: "submitted" } }))) {
          throw new SubmissionRace();
        }
        return { id, sessionId: who.sessionId, stored: true };
      },
      { auditTargets: (r) => ({ asyncVisitId: r.id, ...(r.sessionId ? { sessionId: r.sessionId } : {}) }) },
    );
    return { id, status: "submitted", stored };
  }

  /**
   * A token holder could fill the database until the token expires: each participant may store a
   * few submissions, and each tenant a daily volume. Checked in the submitting transaction;
   * two racing submissions may both pass by one (bounded by one more 25 MB request). Answers
   * what each quota has left before `incoming` (the streaming budget).
   */
  private async assertWithinQuota(tx: AsyncVisitTx, actor: Actor, incoming: number, now: Date): Promise<QuotaLeft[]> {
    const L = ASYNC_VISIT_LIMITS;
    const left: QuotaLeft[] = [];
    if (actor.kind === "participant") {
      const mine = await tx.asyncVisits.usage(actor.tenantId, { since: new Date(0), participantId: actor.participantId });
      if (mine.submissions + 1 > L.maxSubmissionsPerParticipant || mine.bytes + incoming > L.maxBytesPerParticipant) {
        throw new DomainError("QUOTA_EXCEEDED", `a participant may send at most ${L.maxSubmissionsPerParticipant} async visits and 30 MB of attachments`);
      }
      left.push({ key: `participant:${actor.tenantId}/${actor.participantId}`, bytes: L.maxBytesPerParticipant - mine.bytes });
    }
    const tenant = await tx.asyncVisits.usage(actor.tenantId, { since: new Date(now.getTime() - 24 * 60 * 60 * 1000) });
    if (tenant.bytes + incoming > L.maxTenantBytesPerDay) {
      throw new DomainError("QUOTA_EXCEEDED", "this clinic's daily attachment volume is used up; try again later");
    }
    left.push({ key: `tenant:${actor.tenantId}`, bytes: L.maxTenantBytesPerDay - tenant.bytes });
    return left;
  }

  private async resolveParties(tx: AsyncVisitTx, actor: Actor, c: AsyncVisitCommand, now: Date) {
    if (actor.kind === "participant") {
      const session = await this.session(tx, actor.tenantId, actor.sessionId);
      // Store-and-forward is what a fallback visit turns into, and a follow-up photo after the end
      // is expected; only a cancelled visit takes no more submissions.
      if (session.status === "cancelled") {
        throw new DomainError("INVALID_STATUS_TRANSITION", "the visit was cancelled", { currentStatus: session.status });
      }
      const participant = session.participants.find((p) => p.id === actor.participantId);
      if (!participant) throw notFound("participant");
      if (participant.status === "removed") throw new DomainError("PARTICIPANT_REMOVED", "you were removed from this visit");
      if (!SUBMITTING_ROLES.has(participant.role)) throw new DomainError("FORBIDDEN", "only the patient or a caregiver can send an async visit");
      const from = session.scheduledStart.getTime() - ASYNC_VISIT_LIMITS.submitFromBeforeStartMs;
      const until = session.scheduledEnd.getTime() + ASYNC_VISIT_LIMITS.submitUntilAfterEndMs;
      if (now.getTime() < from || now.getTime() > until) {
        throw new DomainError("FORBIDDEN", "async visits for this session are accepted from a day before it to three days after it");
      }
      return { patientId: session.patientId, providerId: session.providerId, sessionId: session.id };
    }
    if (c.sessionId) {
      const session = await this.session(tx, actor.tenantId, c.sessionId);
      if ((c.patientId && c.patientId !== session.patientId) || (c.providerId && c.providerId !== session.providerId)) {
        throw validationFailed("patientId and providerId must match the session", [{ path: "/sessionId", message: "belongs to another patient or provider" }]);
      }
      return { patientId: session.patientId, providerId: session.providerId, sessionId: session.id };
    }
    if (!c.patientId || !c.providerId) {
      throw validationFailed("patientId and providerId are required without a sessionId", [
        ...(c.patientId ? [] : [{ path: "/patientId", message: "is required" }]),
        ...(c.providerId ? [] : [{ path: "/providerId", message: "is required" }]),
      ]);
    }
    const malformed = (["patientId", "providerId"] as const).filter((k) => !isFhirId(c[k]));
    if (malformed.length > 0) {
      throw validationFailed("patient and provider ids are FHIR ids: 1–64 characters of A–Z, a–z, 0–9, '.' or '-'", malformed.map((k) => ({ path: `/${k}`, message: "is not a valid id" })));
    }
    return { patientId: c.patientId, providerId: c.providerId, sessionId: null };
  }

  private async session(tx: AsyncVisitTx, tenantId: string, sessionId: string): Promise<SessionState> {
    const session = await tx.sessions.findById(tenantId, sessionId);
    if (!session) throw notFound("session");
    const s = session.snapshot();
    if (s.status === "cancelled") throw new DomainError("INVALID_STATUS_TRANSITION", "the visit was cancelled", { currentStatus: s.status });
    return s;
  }
}

class SubmissionRace extends Error {}

/** The content: the fields, and each attachment's name and bytes (by their hash, taken as they arrived). */
function hashSubmission(c: AsyncVisitCommand): string {
  const h = createHash("sha256").update(JSON.stringify([c.patientId, c.providerId, c.sessionId, c.text]));
  for (const a of c.attachments) h.update(JSON.stringify([a.filename, a.sha256]));
  return h.digest("hex");
}
