-- Wakes the outbox relay (LISTEN virtual_care_outbox) when outbox rows commit. A statement-level
-- trigger: one notification per insert statement, delivered by PostgreSQL only at commit, and
-- identical notifications of one transaction are folded into one. Polling remains the safety net.
CREATE OR REPLACE FUNCTION virtual_care_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('virtual_care_outbox', '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER virtual_care_outbox_notify AFTER INSERT ON virtual_care_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION virtual_care_outbox_notify();
