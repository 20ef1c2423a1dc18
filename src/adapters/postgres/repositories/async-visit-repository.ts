import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { AsyncVisitRepository, NewAttachment } from "../../../features/async-visits/ports.js";
import type { OutboxWriter } from "../../../platform/ports.js";
import { AsyncVisit, type AsyncVisitState } from "../../../domain/async-visit.js";
import { notFound, versionConflict } from "../../../domain/errors.js";
import type { Db } from "../connection/database.js";
import { asyncVisitAttachments, asyncVisitReplies, asyncVisits, asyncVisitUploads } from "../schema.js";
import { isUuid } from "./session-repository.js";

/** Async visits and their attachments' rows (the bytes are chunks: attachment-chunk-store.ts). */
export class PostgresAsyncVisitRepository implements AsyncVisitRepository {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxWriter,
  ) {}

  async usage(tenantId: string, filter: { since: Date; participantId?: string }): Promise<{ submissions: number; bytes: number }> {
    const who = filter.participantId
      ? sql`and v.submitted_by_kind = 'participant' and v.submitted_by_id = ${filter.participantId}`
      : sql``;
    const result = await this.db.execute(sql`
      select count(distinct v.id)::int as submissions, coalesce(sum(a.size_bytes), 0)::bigint as bytes
      from async_visits v left join async_visit_attachments a on a.visit_id = v.id
      where v.tenant_id = ${tenantId} and v.submitted_at >= ${filter.since.toISOString()}::timestamptz ${who}`);
    const row = ((result as unknown as { rows: Array<{ submissions: number; bytes: string | number }> }).rows ?? [])[0];
    return { submissions: Number(row?.submissions ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  async insert(visit: AsyncVisit, attachments: NewAttachment[]): Promise<void> {
    const s = visit.snapshot();
    await this.db.insert(asyncVisits).values({
      id: s.id,
      tenantId: s.tenantId,
      patientId: s.patientId,
      providerId: s.providerId,
      sessionId: s.sessionId,
      submittedByKind: s.submittedBy.kind,
      submittedById: s.submittedBy.id,
      text: s.text,
      status: s.status,
      submittedAt: s.submittedAt,
      version: 1,
    });
    if (attachments.length > 0) {
      await this.db.insert(asyncVisitAttachments).values(
        attachments.map((a) => ({
          id: a.id,
          visitId: s.id,
          tenantId: s.tenantId,
          position: a.position,
          contentType: a.contentType,
          filename: a.filename,
          sizeBytes: a.sizeBytes,
          sha256: a.sha256,
        })),
      );
      // Their staged bytes become theirs with this commit.
      const ids = attachments.map((a) => a.id);
      const committed = await this.db
        .delete(asyncVisitUploads)
        .where(and(eq(asyncVisitUploads.tenantId, s.tenantId), inArray(asyncVisitUploads.attachmentId, ids)))
        .returning({ id: asyncVisitUploads.attachmentId });
      // Staged uploads expire long after the longest upload may take (HTTP_UPLOAD_TIMEOUT_MS).
      if (committed.length !== ids.length) throw new Error("an attachment's staged bytes are gone (purged before the submission committed)");
    }
    await this.outbox.add(visit.pullEvents());
    visit.markSaved(1);
  }

  async findById(tenantId: string, id: string): Promise<AsyncVisit | null> {
    const state = await loadAsyncVisit(this.db, tenantId, id);
    return state ? AsyncVisit.rehydrate(state) : null;
  }

  async save(visit: AsyncVisit, expectedVersion: number): Promise<void> {
    const s = visit.snapshot();
    const [row] = await this.db
      .update(asyncVisits)
      .set({ status: s.status, reviewedAt: s.reviewedAt, reviewedBy: s.reviewedBy, version: sql`${asyncVisits.version} + 1` })
      .where(and(eq(asyncVisits.id, s.id), eq(asyncVisits.tenantId, s.tenantId), eq(asyncVisits.version, expectedVersion)))
      .returning({ version: asyncVisits.version });
    if (!row) {
      const [current] = await this.db.select({ version: asyncVisits.version }).from(asyncVisits).where(and(eq(asyncVisits.id, s.id), eq(asyncVisits.tenantId, s.tenantId)));
      if (!current) throw notFound("async visit");
      throw versionConflict("async visit", current.version, "concurrent");
    }
    const replies = visit.takeAddedReplies();
    if (replies.length > 0) {
      await this.db.insert(asyncVisitReplies).values(replies.map((r) => ({ id: r.id, visitId: s.id, tenantId: s.tenantId, authorId: r.authorId, text: r.text, repliedAt: r.repliedAt })));
    }
    await this.outbox.add(visit.pullEvents());
    visit.markSaved(row.version);
  }
}

/** Reads one visit with its attachment metadata (never the bytes) and its replies. */
export async function loadAsyncVisit(db: Db, tenantId: string, id: string): Promise<AsyncVisitState | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.select().from(asyncVisits).where(and(eq(asyncVisits.id, id), eq(asyncVisits.tenantId, tenantId)));
  if (!row) return null;
  const a = asyncVisitAttachments;
  const files = await db
    .select({ id: a.id, position: a.position, contentType: a.contentType, filename: a.filename, sizeBytes: a.sizeBytes })
    .from(a)
    .where(and(eq(a.visitId, id), eq(a.tenantId, tenantId)))
    .orderBy(asc(a.position));
  const r = asyncVisitReplies;
  const replies = await db
    .select({ id: r.id, authorId: r.authorId, text: r.text, repliedAt: r.repliedAt })
    .from(r)
    .where(and(eq(r.visitId, id), eq(r.tenantId, tenantId)))
    .orderBy(asc(r.repliedAt), asc(r.id));
  return {
    id: row.id,
    tenantId: row.tenantId,
    patientId: row.patientId,
    providerId: row.providerId,
    sessionId: row.sessionId,
    submittedBy: { kind: row.submittedByKind as "staff" | "participant", id: row.submittedById },
    text: row.text,
    status: row.status as AsyncVisitState["status"],
    attachments: files,
    submittedAt: row.submittedAt,
    reviewedAt: row.reviewedAt,
    reviewedBy: row.reviewedBy,
    replies,
    version: row.version,
  };
}
