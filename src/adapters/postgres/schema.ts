import { sql } from "drizzle-orm";
import {
  bigserial,

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
    // Contract §3: one appointment yields at most one session per tenant.
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

export const schema = { sessions, participants, tenantConfigs, outbox, inbox, idempotencyKeys };

