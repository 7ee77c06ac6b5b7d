/**
 * REDIS_ACK_REPLICAS on a Redis Cluster of the test's own (3 primaries, one
 * replica each): the ack waits for the replica of the shard that holds the
 * room's partition (its WAIT rides in the script's pipeline, to that
 * primary), and a shard whose replica does not confirm fails only its own
 * partitions' publishes, retryably.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRedis, type TestRedis } from '../../testkit/redis.js';
import { createTestDatabase, type TestDatabase } from '../../testkit/postgres.js';
import { startRedisCluster, partitionSlot, type OwnCluster } from '../../testkit/redis-cluster.js';
import { testLogger } from '../../testkit/logger.js';
import { Registry } from 'prom-client';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { roomsInEveryPartition } from '../../testkit/partition-rooms.js';
import { ParleyError } from '../errors.js';
import { createMessaging, type MessagingDeps } from './wiring.js';
import type { PublishInput } from '../ports.js';

const STREAMS: MessagingDeps['streams'] = { roomLogMaxLen: 1000, persistMaxBacklog: 0, dedupTtlSeconds: 60, publishBatchMax: 128 };
const author = { id: '11111111-1111-4111-8111-111111111111', username: 'alice' };
const input = (room: string, cmid: string): PublishInput => ({ room, author, cmid, kind: 'text', body: `body ${cmid}` });

describe('REDIS_ACK_REPLICAS on a Redis Cluster', { timeout: 120_000 }, () => {
  let cluster: OwnCluster;
  let r: TestRedis;
  let db: TestDatabase;
  let keys: RedisKeys;
  const messaging = (ackTimeoutMs: number) =>
    createMessaging({ redis: r.redis, sql: db.sql, keys, streams: { ...STREAMS, ackReplicas: 1, ackTimeoutMs }, logger: testLogger(), registry: new Registry() });

  before(async () => {
    cluster = await startRedisCluster({ replicas: 1 });
    r = await createTestRedis(cluster.nodes[0]!.url, cluster.topology);
    db = await createTestDatabase();
    keys = redisKeys(r.config.keyPrefix);
    for (const room of roomsInEveryPartition()) {
      await db.sql`insert into rooms (id, kind, name) values (${room}, 'public', ${`r-${room}`})`;
    }
    await db.sql`insert into users (id, username, password_hash) values (${author.id}, 'alice', 'x')`;
  });
  after(async () => {
    await r?.cleanup();
    await db?.drop();
    await cluster?.destroy();
  });

  test('every partition is acked once its shard\'s replica has the message', async () => {
    const rooms = roomsInEveryPartition();
    const m = messaging(5000);
    const acks = await Promise.all(rooms.map((room, p) => m.publisher.publish(input(room, `all-${p}`))));
    assert.deepEqual(acks.map((a) => a.seq), rooms.map(() => 1));
    for (const [p, room] of rooms.entries()) {
      const primary = cluster.nodeOfSlot(partitionSlot(p));
      const replica = cluster.replicas[cluster.nodes.indexOf(primary)]![0]!;
      const reader = replica.client();
      await reader.call('READONLY'); // a cluster replica answers reads of its primary's slots only after READONLY
      assert.equal(await reader.hget(keys.roomCounter(room), 'n'), '1', `partition ${p}'s replica had it before the ack`);
    }
  });

  test('a shard whose replica does not answer fails its partitions retryably; other shards go on', async () => {
    const rooms = roomsInEveryPartition();
    const stalled = cluster.nodeOfSlot(partitionSlot(0));
    const replica = cluster.replicas[cluster.nodes.indexOf(stalled)]![0]!;
    const other = rooms.findIndex((_, p) => cluster.nodeOfSlot(partitionSlot(p)) !== stalled);
    const m = messaging(300);
    replica.pause();
    try {
      await assert.rejects(m.publisher.publish(input(rooms[0]!, 'stalled')), (err: unknown) => err instanceof ParleyError && err.code === 'unavailable');
      assert.equal((await m.publisher.publish(input(rooms[other]!, 'elsewhere'))).seq, 1);
    } finally {
      replica.resume();
    }
    // The stalled shard's primary accepted it: the client's retry gets the original seq.
    const retry = await messaging(5000).publisher.publish(input(rooms[0]!, 'stalled'));
    assert.equal(retry.duplicate, true);
    assert.equal(retry.seq, 1);
  });
});
