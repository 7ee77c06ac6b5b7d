/**
 * The admin CLI as operators run it: `node dist/api/admin-cli.js grant|revoke
 * <username>` against DATABASE_URL, with exit statuses and messages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../testkit/postgres.js';

const CLI = fileURLToPath(new URL('./admin-cli.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('admin-cli', () => {
  let db: TestDatabase;
  const isAdmin = async (username: string) =>
    (await db.sql<{ is_admin: boolean }[]>`select is_admin from users where username = ${username}`)[0]?.is_admin;

  before(async () => {
    db = await createTestDatabase();
    await db.sql`insert into users (username, password_hash) values ('Alice', 'x'), ('bob', 'x')`;
  });
  after(async () => {
    await db?.drop();
  });

  test('grant makes a user a server admin (username case-insensitive); again is a no-op', async () => {
    const first = await run(['grant', 'alice'], { DATABASE_URL: db.url });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'Alice is now a server admin\n');
    assert.equal(await isAdmin('Alice'), true);
    assert.equal(await isAdmin('bob'), false);
    const again = await run(['grant', 'Alice'], { DATABASE_URL: db.url });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'Alice was already a server admin\n');
  });

  test('revoke takes it away', async () => {
    await run(['grant', 'bob'], { DATABASE_URL: db.url });
    const res = await run(['revoke', 'bob'], { DATABASE_URL: db.url });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'bob is now not a server admin\n');
    assert.equal(await isAdmin('bob'), false);
  });

  test('an unknown user exits 1 with a clear message and changes nothing', async () => {
    const res = await run(['grant', 'nobody'], { DATABASE_URL: db.url });
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /no user named "nobody"/);
  });

  test('bad usage exits 2 with the usage line', async () => {
    for (const args of [[], ['grant'], ['promote', 'bob'], ['grant', 'bob', 'extra']]) {
      const res = await run(args, { DATABASE_URL: db.url });
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /usage: node dist\/api\/admin-cli\.js grant\|revoke <username>/);
    }
    const badUrl = await run(['grant', 'bob'], { DATABASE_URL: 'mysql://nope' });
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /DATABASE_URL/);
  });

  test('an unreachable database exits 1 with the reason', async () => {
    const res = await run(['grant', 'bob'], { DATABASE_URL: 'postgres://127.0.0.1:1/parley' });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /PostgreSQL/);
  });
});
