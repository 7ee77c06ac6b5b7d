/**
 * A worker killed with a batch read but not committed loses nothing and
 * duplicates nothing: the entries stay pending, a new worker claims them, and
 * the idempotent insert absorbs any write the dead one got through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PARTITIONS, PERSIST_GROUP, partitionOf, redisKeys } from '../shared/redis/keys.js';
import { testMessaging } from '../testkit/messaging.js';
import { createTestDatabase } from '../testkit/postgres.js';
import { createTestRedis } from '../testkit/redis.js';
import { eventually, startService, type ServiceProcess } from '../testkit/processes.js';

const GLOBAL_ROOM = '00000000-0000-4000-8000-000000000001';
const PER_ROOM = 40;

test('a worker SIGKILLed mid-batch: a new worker persists every message exactly once', { timeout: 120_000 }, async (t) => {
  const db = await createTestDatabase();
  const r = await createTestRedis();
  const workers: ServiceProcess[] = [];
  t.after(async () => {
    for (const w of workers) await w.kill('SIGKILL');
    await r.cleanup();
    await db.drop();
  });

  const keys = redisKeys(r.config.keyPrefix);
  const { publisher } = testMessaging(r, db);
  const [user] = await db.sql<{ id: string }[]>`insert into users (username, password_hash) values ('alice', 'x') returning id`;
  const rooms = [GLOBAL_ROOM];
  while (rooms.length < 3) {
    const [room] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'r') returning id`;
    if (!rooms.some((x) => partitionOf(x) === partitionOf(room!.id))) rooms.push(room!.id);
  }
  for (const room of rooms) {
    for (let i = 0; i < PER_ROOM; i++) {
      await publisher.publish({ room, author: { id: user!.id, username: 'alice' }, cmid: randomUUID(), kind: 'text', body: `m${i}` });
    }
  }
  const total = rooms.length * PER_ROOM;

  const streams = Array.from({ length: PARTITIONS }, (_, n) => keys.persistStream(n));
  const sum = async (f: (s: string) => Promise<number>) => (await Promise.all(streams.map(f))).reduce((a, b) => a + b, 0);
  const pending = () =>
    sum(async (s) => Number(((await r.redis.xpending(s, PERSIST_GROUP).catch(() => [0])) as [number])[0]));
  const backlog = () => sum((s) => r.redis.xlen(s));

  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: r.config.url,
    REDIS_KEY_PREFIX: r.config.keyPrefix,
    DATABASE_MIGRATE: 'false',
    LOG_LEVEL: process.env.TEST_SERVICE_LOG_LEVEL ?? 'warn',
  };

  // Hold the table so the first worker's INSERT blocks after it read its batches.
  const blocker = await db.sql.reserve();
  await blocker`begin`;
  await blocker`lock table messages in access exclusive mode`;
  const first = await startService('worker', env, { name: 'worker-1' });
  workers.push(first);
  await eventually('the first worker to hold every entry pending', async () => ((await pending()) === total ? true : undefined), 30_000);
  await first.kill('SIGKILL');
  await blocker`rollback`;
  blocker.release();

  const second = await startService(
    'worker',
    { ...env, WORKER_CLAIM_MIN_IDLE_MS: '200', WORKER_CLAIM_INTERVAL_MS: '200' },
    { name: 'worker-2' },
  );
  workers.push(second);
  await eventually(
    'every entry to be persisted and acked',
    async () => ((await backlog()) === 0 && (await pending()) === 0 ? true : undefined),
    30_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n--- worker-2 output ---\n${second.output()}`);
  });

  const [counts] = await db.sql<{ n: number; ids: number }[]>`select count(*)::int as n, count(distinct id)::int as ids from messages`;
  assert.equal(counts!.n, total);
  assert.equal(counts!.ids, total);
  for (const room of rooms) {
    const rows = await db.sql<{ seq: number }[]>`select seq from messages where room_id = ${room} order by seq`;
    assert.deepEqual(rows.map((x) => x.seq), Array.from({ length: PER_ROOM }, (_, i) => i + 1));
  }

  await second.kill('SIGTERM');
  assert.deepEqual(await second.exited, { code: 0, signal: null });
});
