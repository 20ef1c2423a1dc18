import { sql } from "drizzle-orm";
import {
  bigint,
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
    precallVideoAnyway: boolean("precall_video_anyway"),
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
    // The database's clock at insert (the writing replica's clock may be off): ages are taken
    // from it against the database's now(), one clock (issue 20 item 13).
    createdAt: at("created_at").notNull().defaultNow(),
    publishedAt: at("published_at"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    // W3C trace context of the transaction that wrote the row (null when not traced): the relay,
    // another async context and maybe another replica, continues the trace from it.
    traceparent: text("traceparent"),
    // A domain event not yet turned into the tenant's webhook deliveries (issue 21): set when
    // written, cleared by the webhook fan-out in the transaction that writes the deliveries. The
    // purge keeps a row until both the relay and the fan-out are done with it. Audit rows: false.
    webhookPending: boolean("webhook_pending").notNull().default(false),
  },
  (t) => [
    index("virtual_care_outbox_pending_idx").on(t.seq).where(sql`${t.publishedAt} is null`),
    index("virtual_care_outbox_webhook_pending_idx").on(t.seq).where(sql`${t.webhookPending}`),
  ],
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
  (t) => [
    index("async_visits_tenant_patient_idx").on(t.tenantId, t.patientId, t.submittedAt.desc()),
    // A patient's own written visits on their link (GET /v1/join/async-visits).
    index("async_visits_tenant_session_idx").on(t.tenantId, t.sessionId),
  ],
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

/**
 * The clinic's written answers to an async visit (issue 19). Clinical text: never copied into
 * events, audit or logs. Appended only; the visit's version moves with each (optimistic lock).
 */
export const asyncVisitReplies = pgTable(
  "async_visit_replies",
  {
    id: uuid("id").primaryKey(),
    visitId: uuid("visit_id")
      .notNull()
      .references(() => asyncVisits.id, { onDelete: "cascade" }),
    tenantId: text("tenant_id").notNull(),
    authorId: text("author_id").notNull(),
    text: text("text").notNull(),
    repliedAt: at("replied_at").notNull(),
  },
  (t) => [index("async_visit_replies_visit_idx").on(t.visitId, t.repliedAt)],
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

/**
 * A patient holding an expired link asked the clinic for a new one (issue 19). Ids only. At most
 * one open request per participant (the partial unique index): asking again changes nothing.
 * Closed by staff (`resolved_at`) once they have sent a new link.
 */
export const linkRequests = pgTable(
  "link_requests",
  {
    id: uuid("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    participantId: uuid("participant_id").notNull(),
    requestedAt: at("requested_at").notNull(),
    resolvedAt: at("resolved_at"),
    resolvedBy: text("resolved_by"),
  },
  (t) => [
    uniqueIndex("link_requests_open_participant_uq").on(t.tenantId, t.participantId).where(sql`${t.resolvedAt} is null`),
    index("link_requests_open_idx").on(t.tenantId, t.requestedAt).where(sql`${t.resolvedAt} is null`),
  ],
);

/**
 * One event on its way to one webhook endpoint of its tenant (Standard Webhooks, issue 21), and
 * the delivery log the tenant's admins read. The body is rendered once at fan-out, so every
 * attempt sends the same bytes under the same `webhook-id` (the event id). The endpoint's URL and
 * secret are read from the tenant config at each attempt: a corrected URL is used by what is still
 * pending. Per endpoint, an aggregate's deliveries go one at a time in `seq` order.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    endpoint: text("endpoint").notNull(),
    eventId: uuid("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** `aggregateType/aggregateId`: one chain per endpoint, as the relay orders per aggregate. */
    aggregateKey: text("aggregate_key").notNull(),
    /** The outbox row's seq: the order within a chain. */
    seq: bigint("seq", { mode: "number" }).notNull(),
    body: text("body").notNull(),
    traceparent: text("traceparent"),
    /** pending → delivered | failed (schedule used up) | cancelled (endpoint removed); failed → pending (retried by an admin). */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: at("next_attempt_at").notNull(),
    /** While in the future, one replica is sending this delivery. */
    leaseUntil: at("lease_until"),
    firstAttemptAt: at("first_attempt_at"),
    lastAttemptAt: at("last_attempt_at"),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    createdAt: at("created_at").notNull(),
    deliveredAt: at("delivered_at"),
  },
  (t) => [
    // An event reaches an endpoint once, however often the fan-out sees it.
    uniqueIndex("webhook_deliveries_event_uq").on(t.tenantId, t.endpoint, t.eventId),
    // The dispatcher's scan of due work, and its check that nothing earlier in the chain is pending.
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index("webhook_deliveries_chain_idx").on(t.tenantId, t.endpoint, t.aggregateKey, t.seq).where(sql`${t.status} = 'pending'`),
    // The delivery log, newest first.
    index("webhook_deliveries_log_idx").on(t.tenantId, t.createdAt.desc(), t.id.desc()),
  ],
);

/** What the dispatcher knows of an endpoint's health: failing since when, disabled since when. */
export const webhookEndpointStates = pgTable(
  "webhook_endpoint_states",
  {
    tenantId: text("tenant_id").notNull(),
    endpoint: text("endpoint").notNull(),
    /** The first failed attempt since the last success; null while it answers. */
    failingSince: at("failing_since"),
    lastSuccessAt: at("last_success_at"),
    lastFailureAt: at("last_failure_at"),
    disabledAt: at("disabled_at"),
    /** "gone" (410) or "failing" (a delivery used up its schedule while nothing got through). */
    disabledReason: text("disabled_reason"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.endpoint] })],
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
  asyncVisitReplies,
  linkRequests,
  webhookDeliveries,
  webhookEndpointStates,
};

