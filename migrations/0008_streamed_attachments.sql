-- Streamed attachments (issue 11, defect 6): an attachment's bytes move from one bytea column to
-- chunks of at most 256 KiB, written as the upload arrives (adapters/postgres/attachment-chunk-store.ts).
CREATE TABLE "async_visit_attachment_chunks" (
	"attachment_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"tenant_id" text NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "async_visit_attachment_chunks_attachment_id_seq_pk" PRIMARY KEY("attachment_id","seq")
);
--> statement-breakpoint
CREATE TABLE "async_visit_uploads" (
	"attachment_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "async_visit_uploads_started_idx" ON "async_visit_uploads" USING btree ("started_at");--> statement-breakpoint
-- Each existing attachment becomes one chunk (a chunk may be larger than the new ones: readers
-- take chunks of any size). The copy runs as a system path: under FORCE'd row-level security a
-- migration role that is not a superuser would otherwise see no rows, and the column would be
-- dropped with its data. The counts are checked before the drop.
SELECT set_config('app.system', 'on', true);--> statement-breakpoint
INSERT INTO "async_visit_attachment_chunks" ("attachment_id", "seq", "tenant_id", "data")
  SELECT "id", 0, "tenant_id", "data" FROM "async_visit_attachments";--> statement-breakpoint
DO $$
BEGIN
  IF (SELECT count(*) FROM "async_visit_attachment_chunks") <> (SELECT count(*) FROM "async_visit_attachments") THEN
    RAISE EXCEPTION 'attachment bytes were not all copied to async_visit_attachment_chunks';
  END IF;
END
$$;--> statement-breakpoint
ALTER TABLE "async_visit_attachments" DROP COLUMN "data";--> statement-breakpoint
SELECT set_config('app.system', '', true);--> statement-breakpoint
-- The same two policies as every tenant table (0007_rls).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['async_visit_attachment_chunks', 'async_visit_uploads'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_setting(''app.tenant_id'', true)) '
      'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', t);
    EXECUTE format(
      'CREATE POLICY system_paths ON %I USING (current_setting(''app.system'', true) = ''on'') '
      'WITH CHECK (current_setting(''app.system'', true) = ''on'')', t);
  END LOOP;
END
$$;