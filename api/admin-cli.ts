/**
 * Grants or revokes server admin (who may post announcements).
 *   node dist/api/admin-cli.js grant <username>
 *   node dist/api/admin-cli.js revoke <username>
 * Connects to DATABASE_URL. Takes effect at once: the api reads `is_admin`
 * on every post, so nobody needs to log in again.
 * Exit status: 0 done (also when nothing changed), 1 unknown user or database
 * unreachable, 2 usage or configuration error.
 */
import Type from 'typebox';
import { pino } from 'pino';
import { connectPostgres, type Sql } from '../shared/db/connect.js';
import { ConfigError, loadConfig } from '../shared/config/env.js';
import { PostgresConfig } from '../shared/config/slices.js';
import { Users } from './users.js';

const USAGE = 'usage: node dist/api/admin-cli.js grant|revoke <username>';

async function main(argv: string[]): Promise<number> {
  const [command, username, ...extra] = argv;
  if ((command !== 'grant' && command !== 'revoke') || !username || extra.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let url: string;
  try {
    url = loadConfig(Type.Object({ postgres: PostgresConfig })).postgres.url;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  // Only warnings and worse, on stderr: stdout is for the result.
  const logger = pino({ level: 'warn' }, pino.destination(2));
  let sql: Sql;
  try {
    sql = await connectPostgres({ url, poolSize: 1 }, logger, 'parley-admin-cli');
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  try {
    const admin = command === 'grant';
    const result = await new Users(sql).setAdmin(username, admin);
    if (!result) {
      process.stderr.write(`no user named "${username}"\n`);
      return 1;
    }
    const state = admin ? 'a server admin' : 'not a server admin';
    process.stdout.write(result.changed ? `${result.username} is now ${state}\n` : `${result.username} was already ${state}\n`);
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

process.exitCode = await main(process.argv.slice(2));
