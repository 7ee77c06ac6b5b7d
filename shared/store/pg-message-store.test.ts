/**
 * PgMessageStore.append's cost, over real Postgres: what it reads per batch.
 * Its semantics (idempotence, dropped rooms, deleted authors, conflicts) are
 * covered by worker/consumer.test.ts and the History contract.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectPostgres, type Sql } from '../db/connect.js';
import type { Envelope } from '../broker/envelope.js';
import { testLogger } from '../../testkit/logger.js';
import { createTestDatabase, type TestDatabase } from '../../testkit/postgres.js';
import { PgMessageStore } from './pg-message-store.js';

let db: TestDatabase;
/** One connection: the prepared statement, and the plan Postgres caches for it, live on it. */
let one: Sql;
const rooms = Array.from({ length: 2000 }, () => randomUUID());
const users = Array.from({ length: 2000 }, () => randomUUID());

before(async () => {
  db = await createTestDatabase();
  one = await connectPostgres({ url: db.url, poolSize: 1 }, testLogger(), 'parley-test');
  await db.sql`insert into users (id, username, password_hash) select id, 'u' || n, 'x' from unnest(${users}::uuid[]) with ordinality as t(id, n)`;
  await db.sql`insert into rooms (id, kind, name) select id, 'public', 'r' || n from unnest(${rooms}::uuid[]) with ordinality as t(id, n)`;
  await db.sql`analyze`;
});

after(async () => {
  await one.end({ timeout: 5 });
  await db.drop();
});

let seq = 0;
function batch(size: number): Envelope[] {
  return Array.from({ length: size }, () => {
    seq++;
    return { v: 1, id: randomUUID(), room: rooms[seq % rooms.length]!, seq, uid: users[seq % users.length]!, un: 'u', cmid: `c${seq}`, kind: 'text', body: `hello ${seq}`, ts: Date.now() };
  });
}

async function scans(): Promise<Record<string, number>> {
  await one`select pg_stat_force_next_flush()`;
  const rows = await one<{ relname: string; seq_scan: number }[]>`
    select relname, seq_scan from pg_stat_user_tables where relname in ('rooms', 'users')
  `;
  return Object.fromEntries(rows.map((r) => [r.relname, r.seq_scan]));
}

test('small batches read rooms and users by key, not by scanning them, once Postgres caches a plan for append', async () => {
  const store = new PgMessageStore(one);
  // Batches of every size first, as a worker sees them: after five
  // executions of a prepared statement Postgres may switch to a generic plan,
  // which once hash-joined a full scan of rooms and users into every batch.
  // (A custom plan for a batch with a tenth of all rooms may rightly scan.)
  for (const size of [500, 1, 200, 4, 2, 50, 3, 300, 1, 8, 100]) await store.append(batch(size));
  const start = await scans();
  let inserted = 0;
  for (const size of [4, 1, 3, 4, 2, 4, 8, 4]) inserted += (await store.append(batch(size))).inserted;
  assert.equal(inserted, 30);
  assert.deepEqual(await scans(), start);
});
