-- Fails the calling transaction (SQLSTATE VC409, the version now in DETAIL; 0 when the tenant has
-- no config any more) unless the tenant's configuration is still at the version a command decided
-- on. Lets a create use the configuration this replica read last without reading it again: the
-- check travels in the same round trip as the writes (docs/decisions.md, "Create decides on the
-- configuration it read last"). Invoker's rights: row-level security applies as to any read.
--
-- The shared advisory lock (class 20261206, the tenant's hash) is held to the end of the calling
-- transaction; a config save takes the same lock exclusively before it writes
-- (tenant-config-repository.ts). So a save waits for the creates that checked the old version,
-- and a create that checks while a save is open waits for it and then reads the new version: a
-- create never commits on a version that a committed save had already replaced. VOLATILE, so the
-- read takes its snapshot after the lock is granted.
CREATE OR REPLACE FUNCTION virtual_care_assert_tenant_config(p_tenant_id text, p_version integer) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  current_version integer;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(20261206, hashtext(p_tenant_id));
  SELECT version INTO current_version FROM tenant_configs WHERE tenant_id = p_tenant_id;
  IF current_version IS DISTINCT FROM p_version THEN
    RAISE EXCEPTION 'the tenant configuration changed since it was read'
      USING ERRCODE = 'VC409', DETAIL = coalesce(current_version, 0)::text;
  END IF;
END
$$;
