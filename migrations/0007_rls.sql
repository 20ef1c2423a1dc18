-- Row-level security on every tenant-owned table (issue 11, docs/security.md). A second wall behind
-- the WHERE tenant_id = … every query already has: a query that forgets it still sees one tenant.
--
-- FORCE makes the policies hold for the tables' owner too; only a superuser or a BYPASSRLS role
-- passes them (the embedded PGlite quick start runs as a superuser: RLS does not hold there).
--
-- Two permissive policies per table, OR-ed by PostgreSQL:
--   tenant_isolation  rows of the tenant the unit of work set with
--                     set_config('app.tenant_id', <tenant>, true): for this transaction only.
--                     Unset, it is NULL (or '' once a transaction of the session set it): no rows.
--   system_paths      every row, when app.system = 'on'. Only the service's system connections
--                     set it (startup option, adapters/postgres/connection.ts): the outbox relay
--                     and purge, the audit writer, the Encounter reconciler's and the AI worker's
--                     claims.
-- USING and WITH CHECK alike: a tenant's unit of work can neither read nor write another tenant's
-- row, nor move a row to another tenant.
-- Not here: virtual_care_inbox (event ids and outcomes, no tenant column, no patient data).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'virtual_sessions', 'session_participants', 'tenant_configs', 'virtual_care_outbox', 'idempotency_keys',
    'ai_summaries', 'async_visits', 'async_visit_attachments', 'async_visit_queue'
  ] LOOP
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
