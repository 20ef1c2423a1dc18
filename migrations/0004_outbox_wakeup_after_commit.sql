-- The relay is no longer woken by a NOTIFY inside every transaction that writes outbox rows: every
-- notifying transaction takes one global lock at commit, which cost about a third of the write
-- throughput. The writer now signals after its commit (in process, or one coalesced NOTIFY to
-- another replica's relay): src/adapters/postgres/change-signals.ts. Polling stays the safety net.
DROP TRIGGER IF EXISTS virtual_care_outbox_notify ON virtual_care_outbox;
--> statement-breakpoint
DROP FUNCTION IF EXISTS virtual_care_outbox_notify();
