/**
 * Schema migrations as a step of their own, for deployments that run them
 * with a role allowed to change the schema while the services run with
 * DATABASE_MIGRATE=false and a role that is not (deploy/README.md,
 * "Migrations and database roles").
 *
 *   node dist/shared/db/migrate-cli.js up   [--timeout-seconds N]
 *   node dist/shared/db/migrate-cli.js wait [--timeout-seconds N]
 *
 * - `up` applies pending migrations, under the same advisory lock as the
 *   services' DATABASE_MIGRATE, after waiting up to N s (default 300) for
 *   Postgres to accept connections. The Kubernetes Job `parley-migrate` runs it.
 * - `wait` returns once the database holds every migration this build ships,
 *   checking every 2 s for up to N s (default 600). It needs only SELECT on
 *   `migrations`: the Deployments' init container runs it with the runtime
 *   role, so a new version's pods start only once its schema is there. A
 *   database ahead of the build (an image rolled back; migrations are
 *   forward-only) is accepted.
 *
 * Reads DATABASE_URL and LOG_LEVEL only, and logs JSON lines like the services.
 * Exit status: 0 done; 1 Postgres unreachable, a migration failed, or the wait
 * timed out; 2 usage or configuration error.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Type from 'typebox';
import postgres from 'postgres';
import { ConfigError, loadConfig } from '../config/env.js';
import { LogConfig, PostgresConfig } from '../config/slices.js';
import { createLogger, type Logger } from '../log.js';
import { redactUrl } from '../redis/connect.js';
import { MIGRATIONS_DIR, migrate } from './migrate.js';

/** Everything the CLI reads from the environment (deploy/manifests.test.ts checks the manifests against it). */
export const MigrateCliConfig = Type.Object({ log: LogConfig, postgres: PostgresConfig });

const USAGE = 'usage: node dist/shared/db/migrate-cli.js up|wait [--timeout-seconds N]';
const DEFAULT_TIMEOUT_S = { up: 300, wait: 600 } as const;
/** Between two connection attempts, and between two looks at the schema while waiting. */
const RETRY_MS = 2000;

type Command = keyof typeof DEFAULT_TIMEOUT_S;

interface Args {
  command: Command;
  timeoutMs: number;
}

function parseArgs(argv: readonly string[]): Args | null {
  const [command, ...rest] = argv;
  if (command !== 'up' && command !== 'wait') return null;
  let timeoutS: number = DEFAULT_TIMEOUT_S[command];
  if (rest.length > 0) {
    if (rest.length !== 2 || rest[0] !== '--timeout-seconds' || !/^\d+$/.test(rest[1]!)) return null;
    timeoutS = Number(rest[1]);
  }
  return { command, timeoutMs: timeoutS * 1000 };
}

/** The highest migration this build ships: postgres-shift numbers them contiguously from 1. */
export function latestMigrationId(): number {
  const ids = readdirSync(MIGRATIONS_DIR)
    .filter((name) => /^\d{5}_/.test(name))
    .map((name) => Number(name.slice(0, 5)));
  return Math.max(0, ...ids);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/**
 * Worth another try: Postgres is not reachable yet (its pod or DNS name is
 * still coming up), is starting (57P03) or shutting down (57P01), or dropped
 * the connection (class 08). Anything else (bad password, a failing
 * migration, a missing grant) will not fix itself.
 */
function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return NETWORK_CODES.has(code) || code === '57P03' || code === '57P01' || code.startsWith('08');
}

/** Runs `attempt` until it succeeds, fails for good, or `deadline` passes (then the last error is thrown). */
async function retrying<T>(logger: Logger, what: string, deadline: number, attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err) || Date.now() + RETRY_MS > deadline) throw err;
      logger.info({ err: (err as Error).message }, `${what}: Postgres not reachable yet, retrying`);
      await sleep(RETRY_MS);
    }
  }
}

/** The highest migration applied to the database; 0 before the first (no `migrations` table yet). */
async function appliedMigration(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 10, connection: { application_name: 'parley-migrate-wait' } });
  try {
    const [row] = await sql<{ id: number }[]>`select coalesce(max(migration_id), 0)::int as id from migrations`;
    return row?.id ?? 0;
  } catch (err) {
    if ((err as { code?: unknown }).code === '42P01') return 0; // undefined_table: never migrated
    throw err;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function up(url: string, logger: Logger, deadline: number): Promise<void> {
  const target = latestMigrationId();
  await retrying(logger, 'migrate', deadline, () => migrate(url, logger));
  logger.info({ database: redactUrl(url), migration: target }, 'schema is up to date');
}

async function waitForSchema(url: string, logger: Logger, deadline: number): Promise<boolean> {
  const target = latestMigrationId();
  let logged = -1;
  for (;;) {
    const applied = await retrying(logger, 'wait', deadline, () => appliedMigration(url));
    if (applied >= target) {
      if (applied > target) logger.warn({ applied, target }, 'the database is ahead of this build (an older image?); starting anyway');
      else logger.info({ migration: applied }, 'schema is ready');
      return true;
    }
    if (applied !== logged) {
      logger.info({ applied, target, database: redactUrl(url) }, 'waiting for migrations (the parley-migrate Job)');
      logged = applied;
    }
    if (Date.now() + RETRY_MS > deadline) {
      logger.error({ applied, target }, 'timed out waiting for migrations');
      return false;
    }
    await sleep(RETRY_MS);
  }
}

export async function main(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const args = parseArgs(argv);
  if (args === null) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(MigrateCliConfig, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const logger = createLogger(config.log, 'migrate');
  const deadline = Date.now() + args.timeoutMs;
  try {
    if (args.command === 'up') {
      await up(config.postgres.url, logger, deadline);
      return 0;
    }
    return (await waitForSchema(config.postgres.url, logger, deadline)) ? 0 : 1;
  } catch (err) {
    logger.error({ err, database: redactUrl(config.postgres.url) }, `${args.command} failed`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
