import { and, asc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { AttachmentStore } from "../../../features/async-visits/ports.js";
import type { Clock } from "../../../platform/ports.js";
import type { Db } from "../connection/database.js";
import { asyncVisitAttachmentChunks as chunks, asyncVisitUploads as uploads } from "../schema.js";
import { inTenant } from "../connection/tenant-scope.js";

/**
 * The largest piece written or read at once: an upload holds at most this much in memory, and a
 * download sends one piece before reading the next (a 5 MB file is 20 rows).
 */
export const ATTACHMENT_CHUNK_BYTES = 256 * 1024;

/**
 * AttachmentStore in PostgreSQL: the bytes stay in the database with the rest of the visit (one
 * backup, one retention, row-level security), written in chunks as they arrive, each in its own
 * short tenant-scoped transaction.
 */
export class PostgresAttachmentStore implements AttachmentStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async stage(tenantId: string, attachmentId: string, bytes: AsyncIterable<Uint8Array>): Promise<void> {
    await inTenant(this.db, tenantId, (tx) => tx.insert(uploads).values({ attachmentId, tenantId, startedAt: this.clock.now() }));
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const write = async () => {
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const chunk = { attachmentId, seq: seq++, tenantId, data };
      await inTenant(this.db, tenantId, async (tx) => {
        // No flush to disk per chunk: the submission's own commit flushes the log up to itself,
        // and so every chunk written before it. A chunk lost in a crash before that belonged to
        // a submission that never committed.
        await tx.execute(sql`select set_config('synchronous_commit', 'off', true)`);
        await tx.insert(chunks).values(chunk);
      });
    };
    for await (const piece of bytes) {
      let rest = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      while (rest.byteLength > 0) {
        const take = Math.min(ATTACHMENT_CHUNK_BYTES - pendingBytes, rest.byteLength);
        pending.push(rest.subarray(0, take));
        pendingBytes += take;
        rest = rest.subarray(take);
        if (pendingBytes === ATTACHMENT_CHUNK_BYTES) await write();
      }
    }
    if (pendingBytes > 0) await write();
  }

  async discard(tenantId: string, attachmentIds: readonly string[]): Promise<void> {
    await inTenant(this.db, tenantId, async (tx) => {
      // Only what is still staged: a committed attachment's row in uploads is gone.
      const gone = await tx
        .delete(uploads)
        .where(and(eq(uploads.tenantId, tenantId), inArray(uploads.attachmentId, [...attachmentIds])))
        .returning({ id: uploads.attachmentId });
      if (gone.length > 0) await tx.delete(chunks).where(and(eq(chunks.tenantId, tenantId), inArray(chunks.attachmentId, gone.map((g) => g.id))));
    });
  }

  async *read(tenantId: string, attachmentId: string): AsyncGenerator<Uint8Array> {
    // A few chunks per read: fewer round trips, and still at most 1 MiB held per download.
    const perRead = 4;
    for (let from = 0; ; from += perRead) {
      const rows = await inTenant(
        this.db,
        tenantId,
        (tx) =>
          tx
            .select({ data: chunks.data })
            .from(chunks)
            .where(and(eq(chunks.tenantId, tenantId), eq(chunks.attachmentId, attachmentId), gte(chunks.seq, from), lt(chunks.seq, from + perRead)))
            .orderBy(asc(chunks.seq)),
        "read only",
      );
      for (const row of rows) yield row.data;
      if (rows.length < perRead) return;
    }
  }
}

/** Twice the longest an upload may take (HTTP_UPLOAD_TIMEOUT_MS is at most an hour). */
export const STAGED_UPLOAD_EXPIRY_MS = 2 * 3_600_000;

/**
 * Staged uploads that no submission committed (the process died mid-upload, or a discard failed)
 * are deleted once older than `olderThanMs`, in small batches. Runs on a system connection: it
 * spans tenants.
 */
export class StagedUploadPurge {
  constructor(
    private readonly system: Db,
    private readonly olderThanMs: number,
    private readonly batch = 100,
  ) {}

  async purge(now: Date): Promise<{ deleted: number }> {
    const cutoff = new Date(now.getTime() - this.olderThanMs).toISOString();
    let deleted = 0;
    for (;;) {
      const result = await this.system.execute(sql`
        with gone as (
          delete from async_visit_uploads where attachment_id in (
            select attachment_id from async_visit_uploads where started_at < ${cutoff}::timestamptz limit ${this.batch}
          ) returning attachment_id
        ), chunks as (
          delete from async_visit_attachment_chunks where attachment_id in (select attachment_id from gone)
        )
        select count(*)::int as n from gone`);
      const n = Number((result as unknown as { rows: Array<{ n: number }> }).rows[0]?.n ?? 0);
      deleted += n;
      if (n < this.batch) return { deleted };
    }
  }
}
