import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { readdirSync } from 'node:fs';
import { MIGRATIONS_DIR, migrate } from './migrate.js';
import { ADMIN_URL } from '../../testkit/postgres.js';
import { testLogger } from '../../testkit/logger.js';

test('migrations started by several processes at once apply exactly once', async () => {
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    await Promise.all([1, 2, 3, 4].map(() => migrate(url.toString(), testLogger())));
    const sql = postgres(url.toString(), { max: 1, onnotice: () => undefined });
    const applied = await sql<{ migration_id: number }[]>`select migration_id from migrations order by migration_id`;
    const expected = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{5}_/.test(f)).map((f) => Number(f.slice(0, 5)));
    assert.deepEqual(
      applied.map((m) => m.migration_id),
      expected.sort((a, b) => a - b),
    );
    const [global] = await sql<{ n: number }[]>`select count(*)::int as n from rooms where kind = 'global'`;
    assert.equal(global!.n, 1);
    // Running again is a no-op.
    await migrate(url.toString(), testLogger());
    const again = await sql`select count(*)::int as n from migrations`;
    assert.equal(again[0]!.n, expected.length);
    await sql.end();
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});
