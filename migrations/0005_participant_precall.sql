ALTER TABLE "session_participants" ADD COLUMN "precall_kbps" double precision;--> statement-breakpoint
ALTER TABLE "session_participants" ADD COLUMN "precall_below_threshold" boolean;--> statement-breakpoint
ALTER TABLE "session_participants" ADD COLUMN "precall_checked_at" timestamp with time zone;