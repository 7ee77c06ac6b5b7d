/**
 * PgMessageStore.append over real Postgres: what it reads per batch, and the
 * references to rooms and users that it enforces in place of foreign keys
 * (migration 00009). Its other semantics (idempotence, dropped rooms, deleted
 * authors, conflicts) are covered by worker/consumer.test.ts and the History
 * contract.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectPostgres, type Sql } from '../db/connect.js';
import type { Envelope } from '../broker/envelope.js';
import type { Tx } from '../db/connect.js';
import { testLogger } from '../testing/logger.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
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

test('deleting a room deletes its messages, deleting a user leaves their messages without author, as the foreign keys did', async () => {
  const store = new PgMessageStore(db.sql);
  const [room] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'doomed') returning id`;
  const [user] = await db.sql<{ id: string }[]>`insert into users (username, password_hash) values ('leaver', 'x') returning id`;
  const mine = batch(3).map((e) => ({ ...e, room: room!.id }));
  const theirs = batch(2).map((e) => ({ ...e, uid: user!.id }));
  assert.equal((await store.append([...mine, ...theirs])).inserted, 5);
  await db.sql`delete from rooms where id = ${room!.id}`;
  await db.sql`delete from users where id = ${user!.id}`;
  const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from messages where room_id = ${room!.id}`;
  assert.equal(left!.n, 0);
  const authors = await db.sql<{ author_id: string | null }[]>`select author_id from messages where id = any(${theirs.map((e) => e.id)}::uuid[])`;
  assert.deepEqual(authors.map((a) => a.author_id), [null, null]);
});

test('a room deleted while a batch is being written waits for its commit and then takes the batch\'s rows too', async () => {
  const [room] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'racing') returning id`;
  const rows = batch(3).map((e) => ({ ...e, room: room!.id }));
  let deleted = false;
  let deletion: Promise<unknown> = Promise.resolve();
  await db.sql.begin(async (tx: Tx) => {
    const result = await new PgMessageStore(tx as unknown as Sql).append(rows);
    assert.equal(result.inserted, 3);
    deletion = one`delete from rooms where id = ${room!.id}`.then(() => (deleted = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(deleted, false, 'the delete waits for the batch holding the room');
  });
  await deletion;
  const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from messages where room_id = ${room!.id}`;
  assert.equal(left!.n, 0, 'no message outlives its room');
});

test('a batch written after its room was deleted drops the room\'s messages and keeps the rest', async () => {
  const [room] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'gone') returning id`;
  await db.sql`delete from rooms where id = ${room!.id}`;
  const rows = [...batch(2).map((e) => ({ ...e, room: room!.id })), ...batch(2)];
  const result = await new PgMessageStore(db.sql).append(rows);
  assert.deepEqual({ inserted: result.inserted, dropped: result.dropped }, { inserted: 2, dropped: 2 });
});
