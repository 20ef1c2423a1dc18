#!/usr/bin/env bash
# Creates a database for the service with the two roles row-level security needs
# (docs/operations.md, "Database roles"): an owner that runs the migrations and a service role that
# owns nothing. Idempotent. Run as a PostgreSQL superuser (default: postgres on 127.0.0.1:5432):
#   scripts/create-database.sh [database]        (default database: virtual_care)
# Prints the two URLs to export. Passwords are generated once and printed; on a local server with
# trust authentication (as on a developer machine) they are not even checked.
set -euo pipefail
db=${1:-virtual_care}
[[ "$db" =~ ^[a-z_][a-z0-9_]{0,40}$ ]] || { echo "database name: lower-case letters, digits and _" >&2; exit 2; }
owner="${db}_owner"
service="${db}_service"
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
owner_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
service_pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')

psql -v ON_ERROR_STOP=1 -q -d postgres <<SQL
do \$\$ begin
  if not exists (select 1 from pg_roles where rolname = '$owner') then
    create role $owner login password '$owner_pw';
  else
    alter role $owner password '$owner_pw';
  end if;
  if not exists (select 1 from pg_roles where rolname = '$service') then
    create role $service login password '$service_pw' nosuperuser nobypassrls nocreatedb nocreaterole;
  else
    alter role $service password '$service_pw';
  end if;
end \$\$;
SQL
if ! psql -tAq -d postgres -c "select 1 from pg_database where datname = '$db'" | grep -q 1; then
  psql -v ON_ERROR_STOP=1 -q -d postgres -c "create database $db owner $owner"
fi
# PostgreSQL 15+: nobody else may create in public; the owner needs it for the migrations.
psql -v ON_ERROR_STOP=1 -q -d "$db" -c "grant create, usage on schema public to $owner"

echo "export MIGRATION_DATABASE_URL=postgres://$owner:$owner_pw@$PGHOST:$PGPORT/$db"
echo "export DATABASE_URL=postgres://$service:$service_pw@$PGHOST:$PGPORT/$db"
