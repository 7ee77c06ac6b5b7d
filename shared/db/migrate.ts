/**
 * Forward-only schema migrations with postgres-shift, from `migrations/`
 * beside this module (`NNNNN_name/index.sql`, numbered contiguously).
 *
 * postgres-shift runs pending migrations in one transaction but takes no lock,
 * so two processes starting together could both try. We hold a session-level
 * advisory lock on a dedicated single connection for the whole run; the second
 * process waits, then finds nothing pending.
 */
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import shift from 'postgres-shift';
import type { Logger } from '../log.js';

/** Arbitrary but fixed: the advisory lock id that serialises migrations. */
const MIGRATION_LOCK_ID = 0x70_61_72_6c; // "parl"

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

export async function migrate(url: string, logger: Logger): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined, connection: { application_name: 'parley-migrate' } });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    try {
      await shift({
        sql,
        path: MIGRATIONS_DIR,
        before: ({ migration_id, name }) => logger.info({ migration: migration_id, name }, 'applying migration'),
      });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
