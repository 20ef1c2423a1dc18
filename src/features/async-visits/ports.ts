/** Ports of store-and-forward (async) visits. */
import type { AsyncVisit, AsyncVisitState } from "../../domain/async-visit.js";
import type { CommandTx } from "../../platform/ports.js";

/** Recognises a file by its bytes (never by its declared type or name). */
export interface FileTypeDetector {
  /** The MIME type the content really has, or null when unrecognised. */
  detect(data: Uint8Array): Promise<string | null>;
}

/**
 * Where attachment bytes live. They are written as they arrive, each piece in its own short
 * transaction, before the submitting transaction: no upload is held whole in memory, and a slow
 * sender holds no database connection. Until its submission commits an attachment is staged.
 */
export interface AttachmentStore {
  /** Stores the bytes under `attachmentId` as staged; a failure leaves what was written staged. */
  stage(tenantId: string, attachmentId: string, bytes: AsyncIterable<Uint8Array>): Promise<void>;
  /** Deletes staged attachments (never one whose submission committed). */
  discard(tenantId: string, attachmentIds: readonly string[]): Promise<void>;
  /** A committed attachment's bytes, in order, read piece by piece. */
  read(tenantId: string, attachmentId: string): AsyncIterable<Uint8Array>;
}

/** An attachment of a submission, its bytes already staged under `id`. */
export interface NewAttachment {
  id: string;
  position: number;
  contentType: string;
  filename: string;
  sizeBytes: number;
  sha256: string;
}

export interface AsyncVisitRepository {
  /** Inserts the visit and its attachments' rows, and commits their staged bytes with them. */
  insert(visit: AsyncVisit, attachments: NewAttachment[]): Promise<void>;
  /** Submissions and attachment bytes stored since `since`, for the tenant or one participant. */
  usage(tenantId: string, filter: { since: Date; participantId?: string }): Promise<{ submissions: number; bytes: number }>;
  findById(tenantId: string, id: string): Promise<AsyncVisit | null>;
  save(visit: AsyncVisit, expectedVersion: number): Promise<void>;
}

export interface QueuedAsyncVisit {
  visitId: string;
  providerId: string;
  enqueuedAt: Date;
}

/** Store-and-forward work waiting for a provider (the spec's OfflineQueuePort). */
export interface OfflineQueuePort {
  enqueue(tenantId: string, item: QueuedAsyncVisit): Promise<void>;
  /** Oldest first; `after` is the last item of the previous page. */
  pending(tenantId: string, filter: { providerId?: string; limit: number; after?: { enqueuedAt: Date; visitId: string } }): Promise<QueuedAsyncVisit[]>;
  remove(tenantId: string, visitId: string): Promise<void>;
}

export interface AsyncVisitTx extends CommandTx {
  asyncVisits: AsyncVisitRepository;
  offlineQueue: OfflineQueuePort;
  idempotency: SubmissionKeys;
}

/** Idempotency-Key records (the same table the session create uses; keys are namespaced per submitter). */
export interface SubmissionKeys {
  find(tenantId: string, key: string): Promise<{ requestHash: string; body: unknown } | null>;
  /** False when another request already stored this key (the caller then rolls back). */
  save(record: { tenantId: string; key: string; requestHash: string; statusCode: number; body: unknown }): Promise<boolean>;
}

/** Read side of async visits: metadata and text, attachment bytes only on request. */
export interface AsyncVisitQueries {
  getMany(tenantId: string, ids: readonly string[]): Promise<AsyncVisitState[]>;
  /** What one participant sent with their link (that session only), newest first, with replies. */
  submittedBy(tenantId: string, who: { sessionId: string; participantId: string }): Promise<AsyncVisitState[]>;
  attachment(tenantId: string, visitId: string, attachmentId: string): Promise<{ contentType: string; filename: string; sizeBytes: number } | null>;
}
