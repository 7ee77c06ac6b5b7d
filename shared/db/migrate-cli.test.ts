/**
 * The migration CLI as the Kubernetes manifests run it (the Job `up` with the
 * migrator role, the init containers `wait` with the runtime role), against a
 * scratch database whose two roles come from the dev overlay's
 * postgres-roles.sql, the script deploy/README.md tells operators to run.
 * Roles are cluster-wide in Postgres, so they get random names and are
 * dropped afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { ADMIN_URL } from '../../testkit/postgres.js';
import { latestMigrationId } from './migrate-cli.js';

const CLI = fileURLToPath(new URL('./migrate-cli.js', import.meta.url));
const ROLES_SQL = fileURLToPath(new URL('../../../deploy/k8s/overlays/dev/postgres-roles.sql', import.meta.url));

interface Run {
  code: number | null;
  output: string;
}

/** Runs the CLI with only the variables a container would get. */
function run(args: string[], databaseUrl: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function urlFor(database: string, user?: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  if (user !== undefined) url.username = user;
  return url.toString();
}

test('usage and configuration errors exit 2', async () => {
  assert.equal((await run(['sideways'], urlFor('x'))).code, 2);
  assert.equal((await run(['up', '--timeout-seconds', 'soon'], urlFor('x'))).code, 2);
  const bad = await run(['up'], 'mysql://nowhere/x');
  assert.equal(bad.code, 2);
  assert.match(bad.output, /DATABASE_URL/);
});

test('up retries an unreachable Postgres until its timeout, then exits 1', async () => {
  const started = Date.now();
  const result = await run(['up', '--timeout-seconds', '3'], 'postgres://parley@127.0.0.1:1/parley');
  assert.equal(result.code, 1, result.output);
  assert.match(result.output, /retrying/);
  assert.ok(Date.now() - started >= 2000, 'gave up before its timeout');
});

test('migrator and runtime roles: the Job migrates, the init container waits for it, the runtime role has rows but no DDL', async (t) => {
  if (spawnSync('psql', ['--version']).error) {
    t.skip('psql not installed (Debian postgresql-client)');
    return;
  }
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const migrator = `${name}_migrator`;
  const app = `${name}_app`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  try {
    const psql = spawnSync(
      'psql',
      [urlFor(name), '-q', '-v', 'ON_ERROR_STOP=1', '-v', `db=${name}`, '-v', `migrator=${migrator}`, '-v', 'migrator_password=m-secret',
        '-v', `app=${app}`, '-v', 'app_password=a-secret', '-f', ROLES_SQL],
      { encoding: 'utf8' },
    );
    assert.equal(psql.status, 0, psql.stderr);

    // The init container starts first and waits; the Job then migrates.
    const waiting = run(['wait', '--timeout-seconds', '60'], urlFor(name, app));
    await new Promise((r) => setTimeout(r, 500));
    const migrated = await run(['up'], urlFor(name, migrator));
    assert.equal(migrated.code, 0, migrated.output);
    const waited = await waiting;
    assert.equal(waited.code, 0, waited.output);
    assert.match(waited.output, /waiting for migrations/);
    assert.match(waited.output, /schema is ready/);

    const sql = postgres(urlFor(name, app), { max: 1, onnotice: () => undefined });
    try {
      const [{ id }] = await sql<{ id: number }[]>`select max(migration_id)::int as id from migrations`;
      assert.equal(id, latestMigrationId());
      const lacking = await sql<{ tablename: string }[]>`
        select tablename from pg_tables
        where schemaname = 'public'
          and not has_table_privilege(format('%I.%I', schemaname, tablename), 'SELECT, INSERT, UPDATE, DELETE')`;
      assert.deepEqual(lacking.map((r) => r.tablename), [], 'the runtime role lacks DML on these tables');
      // A trigger of a migration runs as the caller: inserting a membership updates rooms.member_count.
      const [owner] = await sql<{ id: string }[]>`insert into users (username, password_hash) values ('grant-check', 'x') returning id`;
      const [room] = await sql<{ id: string }[]>`insert into rooms (kind, name, created_by) values ('public', 'grant check', ${owner!.id}) returning id`;
      await sql`insert into room_members (room_id, user_id, role) values (${room!.id}, ${owner!.id}, 'owner')`;
      const [counted] = await sql<{ n: number }[]>`select member_count as n from rooms where id = ${room!.id}`;
      assert.equal(counted!.n, 1);
      await assert.rejects(sql`create table nope (id int)`, { code: '42501' });
      await assert.rejects(sql`alter table users add column nope int`, { code: '42501' });
    } finally {
      await sql.end();
    }
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`drop role if exists ${app}`);
    await admin.unsafe(`drop role if exists ${migrator}`);
    await admin.end();
  }
});

test('wait gives up at its timeout when nobody migrates', async () => {
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  try {
    const result = await run(['wait', '--timeout-seconds', '3'], urlFor(name));
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /timed out waiting for migrations/);
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});
