/**
 * Postgres connections (postgres.js). bigint columns come back as JS numbers:
 * seqs and sizes stay far below 2^53, and a value that did not would be
 * rejected by the `bigintAsNumber` parser rather than silently rounded.
 */
import postgres from 'postgres';
import type { PostgresConfig } from '../config/slices.js';
import type { Logger } from '../log.js';
import { DependencyUnavailableError, redactUrl } from '../redis/connect.js';

export type Sql = postgres.Sql<{ bigint: number }>;
/** A transaction handle from `sql.begin`. */
export type Tx = postgres.TransactionSql<{ bigint: number }>;

export const POSTGRES_HINT =
  'Start PostgreSQL 14+ (e.g. `pg_ctlcluster 15 main start`) and create the database, or point DATABASE_URL at a running one.';

const bigintAsNumber = {
  to: 20,
  from: [20],
  serialize: (x: number) => String(x),
  parse: (x: string) => {
    const n = Number(x);
    if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${x} exceeds Number.MAX_SAFE_INTEGER`);
    return n;
  },
};

export async function connectPostgres(
  config: Pick<PostgresConfig, 'url' | 'poolSize'> & Partial<Pick<PostgresConfig, 'statementTimeoutMs'>>,
  logger: Logger,
  name: string,
): Promise<Sql> {
  const sql = postgres(config.url, {
    max: config.poolSize,
    // statement_timeout is a session setting sent at connect: every query of
    // the pool is bounded, lock waits included (Postgres cancels it: 57014).
    connection: { application_name: name, ...(config.statementTimeoutMs ? { statement_timeout: config.statementTimeoutMs } : {}) },
    types: { bigint: bigintAsNumber },
    onnotice: (notice) => logger.debug({ notice: notice.message }, 'postgres notice'),
    connect_timeout: 10,
  }) as unknown as Sql;
  try {
    await sql`select 1`;
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    throw new DependencyUnavailableError('PostgreSQL', redactUrl(config.url), POSTGRES_HINT, err);
  }
  return sql;
}
