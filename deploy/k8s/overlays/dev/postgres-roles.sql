-- parley's two database roles (deploy/README.md, "Migrations and database roles").
-- Run it with psql as a superuser (or your provider's admin role), connected to
-- the database, after it exists and before the first migration:
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v db=parley \
--     -v migrator=parley_migrator -v migrator_password="$MIGRATOR_PASSWORD" \
--     -v app=parley_app -v app_password="$APP_PASSWORD" -f postgres-roles.sql
--
-- The dev overlay's Postgres runs it once, when it initialises its volume.
-- shared/db/migrate-cli.test.ts runs it against a scratch database and checks
-- that the runtime role can read and write every table but change no schema.

-- The migrator owns the database, so it may create tables, indexes,
-- functions, triggers and the trusted extension pg_trgm (migration 00002).
-- Only the parley-migrate Job logs in with it.
CREATE ROLE :"migrator" LOGIN PASSWORD :'migrator_password';
ALTER DATABASE :"db" OWNER TO :"migrator";
-- Postgres 15+ gives the public schema to the database owner; older versions
-- let everyone create in it. Either way the migrator needs this.
GRANT USAGE, CREATE ON SCHEMA public TO :"migrator";

-- The runtime role (api, gateway, worker): rows only, no DDL.
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';
GRANT CONNECT ON DATABASE :"db" TO :"app";
GRANT USAGE ON SCHEMA public TO :"app";
-- Tables that exist already, if the roles come after a first migration...
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO :"app";
-- ...and every table, sequence and function the migrator creates from now on.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT EXECUTE ON FUNCTIONS TO :"app";
