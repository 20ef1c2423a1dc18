CREATE TABLE "idempotency_keys" (
	"tenant_id" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status_code" integer NOT NULL,
	"body" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_key_pk" PRIMARY KEY("tenant_id","key")
);
--> statement-breakpoint
CREATE TABLE "virtual_care_inbox" (
	"source" text NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"outcome" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "virtual_care_inbox_source_event_id_pk" PRIMARY KEY("source","event_id")
);
--> statement-breakpoint
CREATE TABLE "virtual_care_outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"tenant_id" text NOT NULL,
	"aggregate_type" text NOT NULL,
	"aggregate_id" text NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "virtual_care_outbox_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
CREATE TABLE "session_participants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"position" integer NOT NULL,
	"role" text NOT NULL,
	"display_name" text NOT NULL,
	"external_id" text,
	"status" text NOT NULL,
	"waiting_since" timestamp with time zone,
	"admitted_at" timestamp with time zone,
	"removed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "virtual_sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"status" text NOT NULL,
	"patient_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"appointment_id" text,
	"scheduled_start" timestamp with time zone NOT NULL,
	"scheduled_end" timestamp with time zone NOT NULL,
	"video_backend" text NOT NULL,
	"video_provider" text NOT NULL,
	"video_domain" text NOT NULL,
	"room_name" text NOT NULL,
	"encounter_id" text,
	"cancel_reason" text,
	"fallback" jsonb,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenant_configs" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"config" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "session_participants" ADD CONSTRAINT "session_participants_session_id_virtual_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."virtual_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "virtual_care_outbox_pending_idx" ON "virtual_care_outbox" USING btree ("seq") WHERE "virtual_care_outbox"."published_at" is null;--> statement-breakpoint
CREATE INDEX "session_participants_session_idx" ON "session_participants" USING btree ("session_id","position");--> statement-breakpoint
CREATE INDEX "virtual_sessions_tenant_start_idx" ON "virtual_sessions" USING btree ("tenant_id","scheduled_start" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "virtual_sessions_tenant_patient_idx" ON "virtual_sessions" USING btree ("tenant_id","patient_id","scheduled_start" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "virtual_sessions_tenant_provider_idx" ON "virtual_sessions" USING btree ("tenant_id","provider_id","scheduled_start" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "virtual_sessions_tenant_appointment_uq" ON "virtual_sessions" USING btree ("tenant_id","appointment_id") WHERE "virtual_sessions"."appointment_id" is not null;--> statement-breakpoint
CREATE INDEX "virtual_sessions_encounter_pending_idx" ON "virtual_sessions" USING btree ("ended_at") WHERE "virtual_sessions"."status" = 'ended' and "virtual_sessions"."encounter_id" is null;