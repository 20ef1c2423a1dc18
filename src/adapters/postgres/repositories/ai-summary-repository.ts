import { and, asc, eq, getTableColumns, inArray, isNull, lte, notInArray, or, sql, type SQL } from "drizzle-orm";
import type { AiSummaryRepository } from "../../../features/ai-summary/ports.js";
import type { OutboxWriter } from "../../../platform/ports.js";
import { AiSummary, type AiSummaryState } from "../../../domain/ai-summary.js";
import { notFound, versionConflict } from "../../../domain/errors.js";
import type { Db } from "../connection/database.js";
import { aiSummaries, sessions } from "../schema.js";
import { isUuid } from "./session-repository.js";

type Row = typeof aiSummaries.$inferSelect;
type Audio = { data: Uint8Array; contentType: string };

/** Every column but the audio bytes, which only the transcription step reads. */
const { audio: _audio, ...stateColumns } = getTableColumns(aiSummaries);

/** AI summaries on PostgreSQL/PGlite; `db` is the caller's transaction. */
export class PostgresAiSummaryRepository implements AiSummaryRepository {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxWriter,
  ) {}

  async findBySession(tenantId: string, sessionId: string, options: { lock?: boolean } = {}): Promise<AiSummary | null> {
    if (!isUuid(sessionId)) return null;
    return this.findOne(and(eq(aiSummaries.tenantId, tenantId), eq(aiSummaries.sessionId, sessionId)), options.lock);
  }

  async findById(tenantId: string, id: string, options: { lock?: boolean } = {}): Promise<AiSummary | null> {
    if (!isUuid(id)) return null;
    return this.findOne(and(eq(aiSummaries.tenantId, tenantId), eq(aiSummaries.id, id)), options.lock);
  }

  async audio(tenantId: string, id: string): Promise<Audio | null> {
    const [row] = await this.db
      .select({ data: aiSummaries.audio, contentType: aiSummaries.audioContentType })
      .from(aiSummaries)
      .where(and(eq(aiSummaries.tenantId, tenantId), eq(aiSummaries.id, id)));
    return row?.data && row.contentType ? { data: row.data, contentType: row.contentType } : null;
  }

  async insert(summary: AiSummary, audio?: Audio): Promise<void> {
    const s = summary.snapshot();
    await this.db.insert(aiSummaries).values({ ...columns(s), id: s.id, tenantId: s.tenantId, sessionId: s.sessionId, createdAt: s.createdAt, version: 1, ...audioColumns(audio) });
    await this.outbox.add(summary.pullEvents());
    summary.markSaved(1);
  }

  async save(summary: AiSummary, expectedVersion: number, audio?: Audio | null): Promise<void> {
    const s = summary.snapshot();
    const [row] = await this.db
      .update(aiSummaries)
      .set({ ...columns(s), ...audioColumns(audio), version: sql`${aiSummaries.version} + 1` })
      .where(and(eq(aiSummaries.id, s.id), eq(aiSummaries.tenantId, s.tenantId), eq(aiSummaries.version, expectedVersion)))
      .returning({ version: aiSummaries.version });
    if (!row) {
      const [current] = await this.db.select({ version: aiSummaries.version }).from(aiSummaries).where(and(eq(aiSummaries.id, s.id), eq(aiSummaries.tenantId, s.tenantId)));
      if (!current) throw notFound("AI summary");
      throw versionConflict("AI summary", current.version, "concurrent");
    }
    await this.outbox.add(summary.pullEvents());
    summary.markSaved(row.version);
  }

  async claimDue(now: Date): Promise<AiSummary | null> {
    const a = aiSummaries;
    // Drafting starts once the visit has ended; an expired lease means a worker died mid-attempt.
    const due = or(
      and(inArray(a.status, ["pending", "failed"]), lte(a.nextAttemptAt, now)),
      and(eq(a.status, "processing"), lte(a.leaseUntil, now)),
    );
    const [row] = await this.db
      .select(stateColumns)
      .from(a)
      .innerJoin(sessions, and(eq(sessions.id, a.sessionId), eq(sessions.tenantId, a.tenantId)))
      .where(and(due, eq(sessions.status, "ended")))
      .orderBy(asc(a.nextAttemptAt))
      .limit(1)
      .for("update", { of: a, skipLocked: true });
    return row ? AiSummary.rehydrate(toState(row)) : null;
  }

  async claimChartPending(now: Date, excludeIds: readonly string[]): Promise<AiSummary | null> {
    const a = aiSummaries;
    const where: SQL[] = [eq(a.status, "accepted"), isNull(a.documentReferenceId), lte(a.nextAttemptAt, now)];
    if (excludeIds.length > 0) where.push(notInArray(a.id, [...excludeIds]));
    const [row] = await this.db
      .select(stateColumns)
      .from(a)
      .where(and(...where))
      .orderBy(asc(a.decidedAt))
      .limit(1)
      .for("update", { skipLocked: true });
    return row ? AiSummary.rehydrate(toState(row)) : null;
  }

  private async findOne(where: SQL | undefined, lock = false): Promise<AiSummary | null> {
    const query = this.db.select(stateColumns).from(aiSummaries).where(where);
    const [row] = lock ? await query.for("update") : await query;
    return row ? AiSummary.rehydrate(toState(row)) : null;
  }
}

function audioColumns(audio: Audio | null | undefined) {
  if (audio === undefined) return {};
  if (audio === null) return { audio: null, audioContentType: null };
  return { audio: Buffer.from(audio.data.buffer, audio.data.byteOffset, audio.data.byteLength), audioContentType: audio.contentType };
}

function columns(s: AiSummaryState) {
  return {
    status: s.status,
    source: s.source,
    transcript: s.transcript,
    draft: s.draft,
    acceptedText: s.acceptedText,
    edited: s.edited,
    decidedBy: s.decidedBy,
    decidedAt: s.decidedAt,
    rejectReason: s.rejectReason,
    documentReferenceId: s.documentReferenceId,
    attempts: s.attempts,
    nextAttemptAt: s.nextAttemptAt,
    leaseUntil: s.leaseUntil,
    lastError: s.lastError,
    updatedAt: s.updatedAt,
  };
}

function toState(row: Omit<Row, "audio">): AiSummaryState {
  return {
    id: row.id,
    tenantId: row.tenantId,
    sessionId: row.sessionId,
    status: row.status as AiSummaryState["status"],
    source: row.source as AiSummaryState["source"],
    transcript: row.transcript,
    draft: row.draft ?? null,
    acceptedText: row.acceptedText,
    edited: row.edited,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt,
    rejectReason: row.rejectReason,
    documentReferenceId: row.documentReferenceId,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    leaseUntil: row.leaseUntil,
    lastError: row.lastError,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    version: row.version,
  };
}
