CREATE TABLE "async_visit_replies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"visit_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"author_id" text NOT NULL,
	"text" text NOT NULL,
	"replied_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "async_visit_replies" ADD CONSTRAINT "async_visit_replies_visit_id_async_visits_id_fk" FOREIGN KEY ("visit_id") REFERENCES "public"."async_visits"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "async_visit_replies_visit_idx" ON "async_visit_replies" USING btree ("visit_id","replied_at");--> statement-breakpoint
CREATE INDEX "async_visits_tenant_session_idx" ON "async_visits" USING btree ("tenant_id","session_id");--> statement-breakpoint
-- Written replies to async visits (issue 19). The same two policies as every tenant table (0007_rls).
DO $$
BEGIN
  ALTER TABLE "async_visit_replies" ENABLE ROW LEVEL SECURITY;
  ALTER TABLE "async_visit_replies" FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON "async_visit_replies"
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
  CREATE POLICY system_paths ON "async_visit_replies"
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');
END
$$;
