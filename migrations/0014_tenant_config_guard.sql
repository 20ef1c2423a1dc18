-- Fails the calling transaction (SQLSTATE VC409, the version now in DETAIL; 0 when the tenant has
-- no config any more) unless the tenant's configuration is still at the version a command decided
-- on. Lets a create use the configuration this replica read last without reading it again: the
-- check travels in the same round trip as the writes (docs/decisions.md, "Create decides on the
-- configuration it read last"). Invoker's rights: row-level security applies as to any read.
CREATE OR REPLACE FUNCTION virtual_care_assert_tenant_config(p_tenant_id text, p_version integer) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  current_version integer;
BEGIN
  SELECT version INTO current_version FROM tenant_configs WHERE tenant_id = p_tenant_id;
  IF current_version IS DISTINCT FROM p_version THEN
    RAISE EXCEPTION 'the tenant configuration changed since it was read'
      USING ERRCODE = 'VC409', DETAIL = coalesce(current_version, 0)::text;
  END IF;
END
$$;
