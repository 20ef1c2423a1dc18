CREATE TABLE "ai_summaries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"session_id" uuid NOT NULL,
	"status" text NOT NULL,
	"source" text NOT NULL,
	"transcript" text,
	"audio" "bytea",
	"audio_content_type" text,
	"draft" jsonb,
	"accepted_text" text,
	"edited" boolean,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"reject_reason" text,
	"document_reference_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "async_visit_attachments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"visit_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"position" integer NOT NULL,
	"content_type" text NOT NULL,
	"filename" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"sha256" text NOT NULL,
	"data" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "async_visit_queue" (
	"visit_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"enqueued_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "async_visits" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"patient_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"session_id" uuid,
	"submitted_by_kind" text NOT NULL,
	"submitted_by_id" text NOT NULL,
	"text" text NOT NULL,
	"status" text NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"reviewed_at" timestamp with time zone,
	"reviewed_by" text,
	"version" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ai_summaries" ADD CONSTRAINT "ai_summaries_session_id_virtual_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."virtual_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "async_visit_attachments" ADD CONSTRAINT "async_visit_attachments_visit_id_async_visits_id_fk" FOREIGN KEY ("visit_id") REFERENCES "public"."async_visits"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "async_visit_queue" ADD CONSTRAINT "async_visit_queue_visit_id_async_visits_id_fk" FOREIGN KEY ("visit_id") REFERENCES "public"."async_visits"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ai_summaries_tenant_session_uq" ON "ai_summaries" USING btree ("tenant_id","session_id");--> statement-breakpoint
CREATE INDEX "ai_summaries_due_idx" ON "ai_summaries" USING btree ("next_attempt_at") WHERE "ai_summaries"."status" in ('pending', 'failed', 'processing');--> statement-breakpoint
CREATE INDEX "ai_summaries_chart_pending_idx" ON "ai_summaries" USING btree ("decided_at") WHERE "ai_summaries"."status" = 'accepted' and "ai_summaries"."document_reference_id" is null;--> statement-breakpoint
CREATE INDEX "async_visit_attachments_visit_idx" ON "async_visit_attachments" USING btree ("visit_id","position");--> statement-breakpoint
CREATE INDEX "async_visit_queue_provider_idx" ON "async_visit_queue" USING btree ("tenant_id","provider_id","enqueued_at","visit_id");--> statement-breakpoint
CREATE INDEX "async_visit_queue_tenant_idx" ON "async_visit_queue" USING btree ("tenant_id","enqueued_at","visit_id");--> statement-breakpoint
CREATE INDEX "async_visits_tenant_patient_idx" ON "async_visits" USING btree ("tenant_id","patient_id","submitted_at" DESC NULLS LAST);