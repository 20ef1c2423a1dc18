-- Issue 20 item 13: the outbox row's insert time on the database's clock. The age of the oldest
-- unpublished row (vcs_outbox_oldest_unpublished_age_seconds) is taken from it against now(), so a
-- replica whose clock is off can no longer make it negative. now() is stable, so adding the column
-- does not rewrite the table; rows already there get the migration's time.
ALTER TABLE "virtual_care_outbox" ADD COLUMN "created_at" timestamp with time zone DEFAULT now() NOT NULL;
