#!/bin/sh
# Run once by the postgres image on an empty volume (/docker-entrypoint-initdb.d): the role the
# service connects as. It owns nothing and cannot bypass row-level security; the migrations, run
# as the owner (POSTGRES_USER), grant it its tables (docs/operations.md, "Database roles").
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v pw="$SERVICE_DB_PASSWORD" <<'SQL'
CREATE ROLE virtual_care_service LOGIN PASSWORD :'pw' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
SQL
