import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { Registry } from 'prom-client';
import { testMessaging } from '../testkit/messaging.js';
import type { Messaging } from '../shared/broker/wiring.js';
import { decodeEnvelope, type Envelope } from '../shared/broker/envelope.js';
import type { Sql } from '../shared/db/connect.js';
import { PARTITIONS, PERSIST_GROUP, partitionOf, redisKeys, type RedisKeys } from '../shared/redis/keys.js';
import { PgMessageStore } from '../shared/store/pg-message-store.js';
import type { FileRef } from '../shared/protocol/frames.js';
import { createTestDatabase, type TestDatabase } from '../testkit/postgres.js';
import { createTestRedis, type TestRedis } from '../testkit/redis.js';
import { eventually } from '../testkit/processes.js';
import { testLogger } from '../testkit/logger.js';
import type { WorkerConfig } from './config.js';
import type { PartitionConsumer } from './consumer.js';
import { composeWorker, type ComposedWorker } from './compose.js';

const GLOBAL_ROOM = '00000000-0000-4000-8000-000000000001';
const WAIT_MS = 30_000;

interface Harness {
  db: TestDatabase;
  r: TestRedis;
  keys: RedisKeys;
  store: PgMessageStore;
  publisher: Messaging['publisher'];
  messaging: Messaging;
  userId: string;
  registry: Registry;
  /**
   * Starts the worker as main.ts composes it (compose.ts), on every partition,
   * persisting through `sql` (the test database's pool unless given);
   * stopped automatically after the test. Resolves with its consumers.
   */
  run(config?: Partial<WorkerConfig>, sql?: Sql): Promise<PartitionConsumer[]>;
  publish(room: string, count: number, author?: { id: string; username: string }): Promise<void>;
  createRoom(): Promise<string>;
  persistedCount(): Promise<number>;
  streamLength(): Promise<number>;
  pendingCount(): Promise<number>;
  counter(name: string, labels?: Record<string, string>): Promise<number>;
}

async function harness(t: TestContext): Promise<Harness> {
  const db = await createTestDatabase();
  const r = await createTestRedis();
  const keys = redisKeys(r.config.keyPrefix);
  const store = new PgMessageStore(db.sql);
  const messaging = testMessaging(r, db);
  const publisher = messaging.publisher;
  const [user] = await db.sql<{ id: string }[]>`insert into users (username, password_hash) values ('alice', 'x') returning id`;
  const userId = user!.id;
  const registry = new Registry();
  const running: ComposedWorker[] = [];
  const connections: Redis[] = [];

  t.after(async () => {
    await Promise.all(running.map((w) => w.stop()));
    for (const c of connections) c.disconnect();
    await r.cleanup();
    await db.drop();
  });

  const allPartitions = Array.from({ length: PARTITIONS }, (_, n) => n);
  const sum = async (f: (stream: string) => Promise<number>) =>
    (await Promise.all(allPartitions.map((n) => f(keys.persistStream(n))))).reduce((a, b) => a + b, 0);

  return {
    db, r, keys, store, publisher, messaging, userId, registry,
    async run(config = {}, sql = db.sql) {
      const worker = composeWorker(
        {
          sql,
          redis: r.redis,
          connect: async () => {
            const c = new Redis(r.config.url);
            connections.push(c);
            return c;
          },
          keys,
          logger: testLogger(),
          registry,
        },
        {
          worker: {
            batchSize: 50,
            blockMs: 200,
            lingerMs: 5,
            claimMinIdleMs: 30_000,
            claimIntervalMs: 100,
            retryBackoffMs: 50,
            consumerName: 'worker-a',
            ...config,
          },
          epochCheckMs: r.config.epochCheckMs,
        },
      );
      running.push(worker);
      return worker.start();
    },
    async publish(room, count, author = { id: userId, username: 'alice' }) {
      for (let i = 0; i < count; i++) {
        await publisher.publish({ room, author, cmid: randomUUID(), kind: 'text', body: `hello ${i}` });
      }
    },
    async createRoom() {
      const [row] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'r') returning id`;
      return row!.id;
    },
    async persistedCount() {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from messages`;
      return row!.n;
    },
    streamLength: () => sum((s) => r.redis.xlen(s)),
    pendingCount: () =>
      sum(async (s) => {
        const summary = (await r.redis.xpending(s, PERSIST_GROUP).catch(() => [0])) as [number];
        return Number(summary[0]);
      }),
    async counter(name, labels) {
      const metric = registry.getSingleMetric(name);
      assert.ok(metric, `metric ${name}`);
      const { values } = await metric.get();
      const match = values.find((v) => Object.entries(labels ?? {}).every(([k, val]) => v.labels[k] === val));
      return match?.value ?? 0;
    },
  };
}

/** Rooms spread over several partitions so more than one consumer does work. */
async function roomsOnDistinctPartitions(h: Harness, count: number): Promise<string[]> {
  const rooms = [GLOBAL_ROOM];
  const used = new Set([partitionOf(GLOBAL_ROOM)]);
  while (rooms.length < count) {
    const room = await h.createRoom();
    if (!used.has(partitionOf(room))) {
      used.add(partitionOf(room));
      rooms.push(room);
    }
  }
  return rooms;
}

async function waitDrained(h: Harness, expectedRows: number): Promise<void> {
  await eventually(
    'streams drained and rows persisted',
    async () => ((await h.persistedCount()) === expectedRows && (await h.streamLength()) === 0 && (await h.pendingCount()) === 0 ? true : undefined),
    WAIT_MS,
  );
}

/** Reads every partition as `consumer` without acking, as a worker that then died would. */
async function readWithoutAck(h: Harness, consumer: string): Promise<Array<{ stream: string; id: string; envelope: Envelope }>> {
  const out: Array<{ stream: string; id: string; envelope: Envelope }> = [];
  for (let n = 0; n < PARTITIONS; n++) {
    const stream = h.keys.persistStream(n);
    await h.r.redis.xgroup('CREATE', stream, PERSIST_GROUP, '0', 'MKSTREAM').catch(() => undefined);
    const reply = await h.r.redis.xreadgroup('GROUP', PERSIST_GROUP, consumer, 'COUNT', 10_000, 'STREAMS', stream, '>');
    for (const [id, fields] of reply?.[0]?.[1] ?? []) {
      out.push({ stream, id, envelope: decodeEnvelope(fields![1]!)! });
    }
  }
  return out;
}

async function assertExactlyOnce(sql: Sql, expected: Map<string, number>): Promise<void> {
  for (const [room, count] of expected) {
    const rows = await sql<{ seq: number }[]>`select seq from messages where room_id = ${room} order by seq`;
    assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: count }, (_, i) => i + 1), `room ${room}`);
  }
  const [row] = await sql<{ n: number; ids: number }[]>`select count(*)::int as n, count(distinct id)::int as ids from messages`;
  assert.equal(row!.n, row!.ids);
}

test('every message lands in Postgres exactly once and the streams end empty', async (t) => {
  const h = await harness(t);
  const rooms = await roomsOnDistinctPartitions(h, 4);
  const expected = new Map<string, number>();
  // Some messages exist before the first worker ever starts (group created from id 0) …
  for (const room of rooms) {
    await h.publish(room, 60);
    expected.set(room, 60);
  }
  await h.run();
  // … and some arrive while it runs.
  for (const room of rooms) {
    await h.publish(room, 15);
    expected.set(room, 75);
  }
  await waitDrained(h, 300);
  await assertExactlyOnce(h.db.sql, expected);
  assert.equal(await h.counter('parley_worker_messages_persisted_total'), 300);
  assert.equal(await h.counter('parley_worker_duplicates_total'), 0);
  const [row] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from messages where author_id = ${h.userId} and author_name = 'alice'`;
  assert.equal(row!.n, 300);

  const exposition = await h.registry.metrics();
  assert.match(exposition, /parley_worker_stream_lag_messages\{partition="0"\} 0/);
  assert.match(exposition, /parley_worker_pending_messages\{partition="0"\} 0/);
});

test('redelivery of an already committed batch changes nothing', async (t) => {
  const h = await harness(t);
  await h.publish(GLOBAL_ROOM, 20);
  // A worker read the batch, committed it, and died before acking.
  const delivered = await readWithoutAck(h, 'worker-a');
  assert.equal(delivered.length, 20);
  const first = await h.store.append(delivered.map((d) => d.envelope));
  assert.equal(first.inserted, 20);
  const before = await h.db.sql`select id, seq, persisted_at from messages order by seq`;

  // Restarted under the same name, it re-reads its own pending entries.
  await h.run({ consumerName: 'worker-a' });
  await waitDrained(h, 20);
  assert.deepEqual(await h.db.sql`select id, seq, persisted_at from messages order by seq`, before);
  assert.equal(await h.counter('parley_worker_duplicates_total'), 20);
  assert.equal(await h.counter('parley_worker_messages_persisted_total'), 0);
});

test("a dead consumer's pending entries are claimed by another", async (t) => {
  const h = await harness(t);
  const rooms = await roomsOnDistinctPartitions(h, 3);
  for (const room of rooms) await h.publish(room, 30);
  const delivered = await readWithoutAck(h, 'dead-worker');
  assert.equal(delivered.length, 90);
  assert.equal(await h.pendingCount(), 90);

  await h.run({ consumerName: 'worker-b', claimMinIdleMs: 20 });
  await waitDrained(h, 90);
  await assertExactlyOnce(h.db.sql, new Map(rooms.map((r) => [r, 30])));
});

test('poison and conflicting entries go to the dead-letter stream and are acked; good ones persist', async (t) => {
  const h = await harness(t);
  const room = await h.createRoom();
  const p = partitionOf(room);
  await h.publish(room, 5);
  await h.r.redis.xadd(h.keys.persistStream(p), '*', 'm', 'not json {');
  await h.r.redis.xadd(h.keys.persistStream(p), '*', 'other', 'field');
  await h.publish(room, 5);
  // The room's history already holds seq 3 under another id: the counter went backwards.
  const impostor = randomUUID();
  await h.db.sql`
    insert into messages (room_id, seq, id, author_id, author_name, cmid, kind, body, created_at)
    values (${room}, 3, ${impostor}, ${h.userId}, 'alice', 'x', 'text', 'older', now())
  `;

  const epochBefore = await h.r.redis.get(h.keys.partitionEpoch(p));
  await h.run();
  await waitDrained(h, 10);

  const dead = await h.r.redis.xrange(h.keys.persistDeadLetter(p), '-', '+');
  const letters = dead.map(([, f]) => ({ m: f[f.indexOf('m') + 1]!, reason: f[f.indexOf('reason') + 1]! }));
  assert.equal(letters.length, 3);
  assert.deepEqual(letters.filter((l) => l.reason === 'undecodable').map((l) => l.m).sort(), ['["other","field"]', 'not json {'].sort());
  const conflict = letters.find((l) => l.reason === 'seq_conflict');
  assert.ok(conflict);
  assert.equal(decodeEnvelope(conflict.m)?.seq, 3);

  const rows = await h.db.sql<{ seq: number; id: string }[]>`select seq, id from messages where room_id = ${room} order by seq`;
  assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(rows[2]!.id, impostor);
  assert.equal(await h.counter('parley_worker_dead_letters_total', { reason: 'undecodable' }), 2);
  assert.equal(await h.counter('parley_worker_dead_letters_total', { reason: 'seq_conflict' }), 1);
  assert.equal(await h.counter('parley_worker_seq_conflicts_total'), 1);
  // A conflict means the counter went backwards: the worker replaced the
  // epoch, so the room's next message is numbered past anything assigned before.
  assert.notEqual(await h.r.redis.get(h.keys.partitionEpoch(p)), epochBefore);
  const next = await h.publisher.publish({ room, author: { id: h.userId, username: 'alice' }, cmid: randomUUID(), kind: 'text', body: 'after' });
  assert.ok(next.seq > 10, `numbered past the loss, got ${next.seq}`);
});

test('file messages persist with their attachment, text messages with none, each exactly once', async (t) => {
  const h = await harness(t);
  const room = await h.createRoom();
  const author = { id: h.userId, username: 'alice' };
  const file: FileRef = { id: randomUUID(), name: 'report – final ✓.pdf', size: 4_200_000, contentType: 'application/pdf' };
  await h.publish(room, 1);
  const sent = await h.publisher.publish({ room, author, cmid: 'file-cmid', kind: 'file', body: 'the report', file });
  // A retry of the same file message is a duplicate: it must not persist twice.
  assert.equal((await h.publisher.publish({ room, author, cmid: 'file-cmid', kind: 'file', body: 'the report', file })).duplicate, true);
  await h.publish(room, 1);

  await h.run();
  await waitDrained(h, 3);
  const rows = await h.db.sql<{ seq: number; id: string; kind: string; body: string; attachment: FileRef | null }[]>`
    select seq, id, kind, body, attachment from messages where room_id = ${room} order by seq
  `;
  assert.deepEqual(rows.map((r) => [r.seq, r.kind, r.attachment]), [
    [1, 'text', null],
    [2, 'file', file],
    [3, 'text', null],
  ]);
  assert.equal(rows[1]!.id, sent.id);
  assert.equal(rows[1]!.body, 'the report');
  const page = await h.store.page(room, { limit: 10 });
  assert.deepEqual(page.messages.map((m) => m.file), [undefined, file, undefined]);
  assert.equal(await h.counter('parley_worker_dead_letters_total', { reason: 'undecodable' }), 0);
});

test('file envelopes Postgres could not take, or that disagree with their kind, are dead-lettered; good ones persist', async (t) => {
  const h = await harness(t);
  const room = await h.createRoom();
  const p = partitionOf(room);
  const file: FileRef = { id: randomUUID(), name: 'ok.txt', size: 1, contentType: 'text/plain' };
  const envelope = (seq: number, extra: Record<string, unknown>) =>
    JSON.stringify({ v: 1, id: randomUUID(), room, seq, uid: h.userId, un: 'alice', cmid: `c${seq}`, kind: 'file', body: '', ts: Date.now(), ...extra });
  const poison = [
    envelope(1, { file: { ...file, name: 'nul\u0000.txt' } }),
    envelope(2, {}),
    envelope(3, { kind: 'text', file }),
    envelope(4, { file: { ...file, id: 'nope' } }),
    envelope(5, { file: { ...file, extra: 1 } }),
  ];
  for (const m of poison) await h.r.redis.xadd(h.keys.persistStream(p), '*', 'm', m);
  await h.r.redis.xadd(h.keys.persistStream(p), '*', 'm', envelope(6, { file }));

  await h.run();
  await waitDrained(h, 1);
  const dead = await h.r.redis.xrange(h.keys.persistDeadLetter(p), '-', '+');
  assert.deepEqual(dead.map(([, f]) => f[f.indexOf('m') + 1]!).sort(), [...poison].sort());
  assert.ok(dead.every(([, f]) => f[f.indexOf('reason') + 1] === 'undecodable'));
  const rows = await h.db.sql<{ seq: number; attachment: FileRef | null }[]>`select seq, attachment from messages where room_id = ${room}`;
  assert.deepEqual(rows.map((r) => [r.seq, r.attachment]), [[6, file]]);
});

test('messages of a deleted room are dropped without blocking the batch; a deleted author becomes null', async (t) => {
  const h = await harness(t);
  // Same partition as the global room, so both share batches.
  let doomed = await h.createRoom();
  while (partitionOf(doomed) !== partitionOf(GLOBAL_ROOM)) doomed = await h.createRoom();
  const [bob] = await h.db.sql<{ id: string }[]>`insert into users (username, password_hash) values ('bob', 'x') returning id`;
  await h.publish(GLOBAL_ROOM, 5);
  await h.publish(doomed, 5);
  await h.publish(GLOBAL_ROOM, 5, { id: bob!.id, username: 'bob' });
  await h.db.sql`delete from rooms where id = ${doomed}`;
  await h.db.sql`delete from users where id = ${bob!.id}`;

  await h.run();
  await waitDrained(h, 10);
  const rows = await h.db.sql<{ seq: number; author_id: string | null; author_name: string }[]>`
    select seq, author_id, author_name from messages where room_id = ${GLOBAL_ROOM} order by seq
  `;
  assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(rows.slice(5).map((r) => [r.author_id, r.author_name]), Array(5).fill([null, 'bob']));
  assert.equal(await h.counter('parley_worker_dropped_total'), 5);
});

test('when Postgres fails, entries stay pending and persist after it recovers', async (t) => {
  const h = await harness(t);
  const rooms = await roomsOnDistinctPartitions(h, 3);
  for (const room of rooms) await h.publish(room, 10);

  // The worker's own connection gives up on locks quickly, so a held lock is an outage.
  const workerSql = postgres(h.db.url, {
    max: 2,
    connection: { lock_timeout: 100 },
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    onnotice: () => undefined,
  }) as unknown as Sql;
  t.after(() => workerSql.end({ timeout: 1 }));
  const blocker = await h.db.sql.reserve();
  await blocker`begin`;
  await blocker`lock table messages in access exclusive mode`;

  await h.run({}, workerSql);
  await eventually('appends to fail', async () => ((await h.counter('parley_worker_errors_total')) >= 3 ? true : undefined), WAIT_MS);
  assert.equal(await h.pendingCount(), 30);
  assert.equal(await h.streamLength(), 30);
  const [inside] = await blocker<{ n: number }[]>`select count(*)::int as n from messages`;
  assert.equal(inside!.n, 0);

  await blocker`rollback`;
  blocker.release();
  await waitDrained(h, 30);
  await assertExactlyOnce(h.db.sql, new Map(rooms.map((r) => [r, 10])));
});

test('stop() interrupts a blocking read', { timeout: 30_000 }, async (t) => {
  const h = await harness(t);
  const consumers = await h.run({ blockMs: 60_000 });
  await h.publish(GLOBAL_ROOM, 3);
  await waitDrained(h, 3);
  // Every consumer is now parked in a minute-long read; stop must not wait it out.
  await Promise.all(consumers.map((c) => c.stop()));
  await h.publish(GLOBAL_ROOM, 2);
  assert.equal(await h.streamLength(), 2);
});

test('entries that arrive while a small batch lingers join it, and stop() during the wait still commits them all', { timeout: 30_000 }, async (t) => {
  const h = await harness(t);
  const consumers = await h.run({ lingerMs: 600_000 });
  await h.publish(GLOBAL_ROOM, 1);
  // Read and pending, not yet committed: the consumer is in its (ten-minute) wait.
  await eventually('the first entry to be read', async () => ((await h.pendingCount()) === 1 ? true : undefined), WAIT_MS);
  assert.equal(await h.persistedCount(), 0);
  await h.publish(GLOBAL_ROOM, 4);
  await Promise.all(consumers.map((c) => c.stop()));
  assert.equal(await h.persistedCount(), 5);
  assert.equal(await h.pendingCount(), 0);
  const batches = (await h.registry.getSingleMetric('parley_worker_batch_size')!.get()).values;
  assert.equal(batches.find((v) => (v as { metricName?: string }).metricName === 'parley_worker_batch_size_count')?.value, 1, 'one transaction for all five');
});
