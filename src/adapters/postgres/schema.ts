import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const sessions = pgTable(
  "virtual_sessions",
  {
    id: uuid("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    status: text("status").notNull(),
    patientId: text("patient_id").notNull(),
    providerId: text("provider_id").notNull(),
    appointmentId: text("appointment_id"),
    scheduledStart: at("scheduled_start").notNull(),
    scheduledEnd: at("scheduled_end").notNull(),
    videoBackend: text("video_backend").notNull(),
    videoProvider: text("video_provider").notNull(),
    videoDomain: text("video_domain").notNull(),
    roomName: text("room_name").notNull(),
    encounterId: text("encounter_id"),
    /** The Encounter saga's lease: while in the future, one replica is calling FHIR for this session. */
    encounterLeaseUntil: at("encounter_lease_until"),
    cancelReason: text("cancel_reason"),
    fallback: jsonb("fallback").$type<{ reason: string; measuredKbps: number | null; initiatedAt: string } | null>(),
    startedAt: at("started_at"),
    endedAt: at("ended_at"),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
    version: integer("version").notNull(),
  },
  (t) => [
    // The list's keyset order, always inside one tenant.
    index("virtual_sessions_tenant_start_idx").on(t.tenantId, t.scheduledStart.desc(), t.id.desc()),
    index("virtual_sessions_tenant_patient_idx").on(t.tenantId, t.patientId, t.scheduledStart.desc()),
    index("virtual_sessions_tenant_provider_idx").on(t.tenantId, t.providerId, t.scheduledStart.desc()),
    // One appointment yields at most one session per tenant.
    uniqueIndex("virtual_sessions_tenant_appointment_uq")
      .on(t.tenantId, t.appointmentId)
      .where(sql`${t.appointmentId} is not null`),
    // The Encounter saga's reconciler scans only ended sessions still waiting for their Encounter.
    index("virtual_sessions_encounter_pending_idx")
      .on(t.endedAt)
      .where(sql`${t.status} = 'ended' and ${t.encounterId} is null`),
  ],
);

export const participants = pgTable(
  "session_participants",
  {
    id: uuid("id").primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    position: integer("position").notNull(),
    role: text("role").notNull(),
    displayName: text("display_name").notNull(),
    externalId: text("external_id"),
    status: text("status").notNull(),
    waitingSince: at("waiting_since"),
    admittedAt: at("admitted_at"),
    removedAt: at("removed_at"),
    // kbps are measured, not counted: a number, like fallbackBandwidthKbps (docs/decisions.md).
    precallKbps: doublePrecision("precall_kbps"),
    precallBelowThreshold: boolean("precall_below_threshold"),
    precallCheckedAt: at("precall_checked_at"),
  },
  (t) => [index("session_participants_session_idx").on(t.sessionId, t.position)],
);

export const tenantConfigs = pgTable("tenant_configs", {
  tenantId: text("tenant_id").primaryKey(),
  version: integer("version").notNull(),
  // Backend secrets inside are envelopes (SecretStorePort), never plaintext.
  config: jsonb("config").notNull(),
  updatedAt: at("updated_at").notNull(),
});

export const outbox = pgTable(
  "virtual_care_outbox",
  {
    id: uuid("id").primaryKey(),
    // Commit order within the table: the relay publishes in this order.
    seq: bigserial("seq", { mode: "number" }).notNull().unique(),
    tenantId: text("tenant_id").notNull(),
    aggregateType: text("aggregate_type").notNull(),
    aggregateId: text("aggregate_id").notNull(),
    type: text("type").notNull(),
    data: jsonb("data").notNull(),
    occurredAt: at("occurred_at").notNull(),
    publishedAt: at("published_at"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    // W3C trace context of the transaction that wrote the row (null when not traced): the relay,
    // another async context and maybe another replica, continues the trace from it.
    traceparent: text("traceparent"),
  },
  (t) => [index("virtual_care_outbox_pending_idx").on(t.seq).where(sql`${t.publishedAt} is null`)],
);

export const inbox = pgTable("virtual_care_inbox", {
  // CloudEvent `source` + `id` identify an event (CloudEvents 1.0 §3.1).
  source: text("source").notNull(),
  eventId: text("event_id").notNull(),
  type: text("type").notNull(),
  outcome: text("outcome").notNull(),
  receivedAt: at("received_at").notNull(),
}, (t) => [primaryKey({ columns: [t.source, t.eventId] })]);

export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    tenantId: text("tenant_id").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    statusCode: integer("status_code").notNull(),
    body: jsonb("body").notNull(),
    createdAt: at("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);

// ---------- clinical integrations: AI visit summaries, async visits ----------

/** Binary content (audio awaiting transcription, async visit attachments). PGlite hands back Uint8Array. */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

export const aiSummaries = pgTable(
  "ai_summaries",
  {
    id: uuid("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    status: text("status").notNull(),
    source: text("source").notNull(),
    // Clinical content: never copied into events, audit or logs.
    transcript: text("transcript"),
    // Kept only until it is transcribed (data minimisation), so a failed transcription can be retried.
    audio: bytea("audio"),
    audioContentType: text("audio_content_type"),
    draft: jsonb("draft").$type<{ subjective: string; objective: string; assessment: string; plan: string } | null>(),
    acceptedText: text("accepted_text"),
    edited: boolean("edited"),
    decidedBy: text("decided_by"),
    decidedAt: at("decided_at"),
    rejectReason: text("reject_reason"),
    documentReferenceId: text("document_reference_id"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: at("next_attempt_at"),
    leaseUntil: at("lease_until"),
    lastError: text("last_error"),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
    version: integer("version").notNull(),
  },
  (t) => [
    // One summary per visit (the routes address it by session).
    uniqueIndex("ai_summaries_tenant_session_uq").on(t.tenantId, t.sessionId),
    // The retry worker's scans: drafts to (re)generate, and accepted summaries not yet in the chart.
    index("ai_summaries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'failed', 'processing')`),
    index("ai_summaries_chart_pending_idx").on(t.decidedAt).where(sql`${t.status} = 'accepted' and ${t.documentReferenceId} is null`),
  ],
);

export const asyncVisits = pgTable(
  "async_visits",
  {
    id: uuid("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    patientId: text("patient_id").notNull(),
    providerId: text("provider_id").notNull(),
    sessionId: uuid("session_id"),
    submittedByKind: text("submitted_by_kind").notNull(),
    submittedById: text("submitted_by_id").notNull(),
    text: text("text").notNull(),
    status: text("status").notNull(),
    submittedAt: at("submitted_at").notNull(),
    reviewedAt: at("reviewed_at"),
    reviewedBy: text("reviewed_by"),
    version: integer("version").notNull(),
  },
  (t) => [index("async_visits_tenant_patient_idx").on(t.tenantId, t.patientId, t.submittedAt.desc())],
);

export const asyncVisitAttachments = pgTable(
  "async_visit_attachments",
  {
    id: uuid("id").primaryKey(),
    visitId: uuid("visit_id")
      .notNull()
      .references(() => asyncVisits.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    position: integer("position").notNull(),
    contentType: text("content_type").notNull(),
    filename: text("filename").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    sha256: text("sha256").notNull(),
  },
  (t) => [index("async_visit_attachments_visit_idx").on(t.visitId, t.position)],
);

/**
 * An attachment's bytes, in chunks of at most 256 KiB written as the upload streams in (issue 11):
 * no upload is held whole in memory, nor holds a transaction open while the sender is slow.
 * Rows of an attachment id listed in async_visit_uploads are staged (the submission has not
 * committed); otherwise they belong to the async_visit_attachments row of that id. Whatever
 * deletes an attachment deletes its chunks (no foreign key: staged chunks have no row yet).
 */
export const asyncVisitAttachmentChunks = pgTable(
  "async_visit_attachment_chunks",
  {
    attachmentId: uuid("attachment_id").notNull(),
    seq: integer("seq").notNull(),
    tenantId: text("tenant_id").notNull(),
    data: bytea("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.attachmentId, t.seq] })],
);

/**
 * Uploads whose submission has not committed yet. The submitting transaction deletes its rows;
 * a refused submission discards its chunks at once, and what a crash left is purged after a while.
 */
export const asyncVisitUploads = pgTable(
  "async_visit_uploads",
  {
    attachmentId: uuid("attachment_id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    startedAt: at("started_at").notNull(),
  },
  (t) => [index("async_visit_uploads_started_idx").on(t.startedAt)],
);

/** OfflineQueuePort's store: what waits for a provider's review, oldest first. */
export const asyncVisitQueue = pgTable(
  "async_visit_queue",
  {
    visitId: uuid("visit_id")
      .primaryKey()
      .references(() => asyncVisits.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    providerId: text("provider_id").notNull(),
    enqueuedAt: at("enqueued_at").notNull(),
  },
  (t) => [
    index("async_visit_queue_provider_idx").on(t.tenantId, t.providerId, t.enqueuedAt, t.visitId),
    index("async_visit_queue_tenant_idx").on(t.tenantId, t.enqueuedAt, t.visitId),
  ],
);

export const schema = {
  sessions,
  participants,
  tenantConfigs,
  outbox,
  inbox,
  idempotencyKeys,
  aiSummaries,
  asyncVisits,
  asyncVisitAttachments,
  asyncVisitAttachmentChunks,
  asyncVisitUploads,
  asyncVisitQueue,
};

