CREATE TABLE "link_requests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"session_id" uuid NOT NULL,
	"participant_id" uuid NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text
);
--> statement-breakpoint
ALTER TABLE "link_requests" ADD CONSTRAINT "link_requests_session_id_virtual_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."virtual_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "link_requests_open_participant_uq" ON "link_requests" USING btree ("tenant_id","participant_id") WHERE "link_requests"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "link_requests_open_idx" ON "link_requests" USING btree ("tenant_id","requested_at") WHERE "link_requests"."resolved_at" is null;--> statement-breakpoint
-- Patients' requests for a new link (issue 19). The same two policies as every tenant table (0007_rls).
DO $$
BEGIN
  ALTER TABLE "link_requests" ENABLE ROW LEVEL SECURITY;
  ALTER TABLE "link_requests" FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON "link_requests"
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
  CREATE POLICY system_paths ON "link_requests"
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');
END
$$;
