#!/bin/sh
# Run by the postgres image's entrypoint once, when it initialises an empty
# volume: creates parley's migrator and runtime roles (postgres-roles.sql)
# with the passwords from the Secret parley-postgres.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v migrator=parley_migrator -v migrator_password="$PARLEY_MIGRATOR_PASSWORD" \
  -v app=parley_app -v app_password="$PARLEY_APP_PASSWORD" \
  -f /etc/parley-postgres/postgres-roles.sql
