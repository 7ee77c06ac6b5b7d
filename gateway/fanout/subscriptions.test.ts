/** RoomSubscriptions over a real RedisBus: Redis holds exactly one subscription per room with local holders. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createTestRedis, type TestRedis } from '../../testkit/redis.js';
import { testLogger } from '../../testkit/logger.js';
import { redisKeys, type RedisKeys } from '../../shared/redis/keys.js';
import { RedisBus } from '../../shared/broker/redis-bus.js';
import { createGatewayMetrics } from '../metrics.js';
import { RoomSubscriptions, type SubscriptionHooks } from './subscriptions.js';

describe('RoomSubscriptions', () => {
  let r: TestRedis;
  let keys: RedisKeys;
  const subs: Redis[] = [];
  const numsub = async (room: string) => {
    const [, n] = (await r.redis.pubsub('SHARDNUMSUB', keys.roomChannel(room))) as [string, number];
    return Number(n);
  };
  const hooks: SubscriptionHooks = { opening: async () => undefined, live: () => undefined, closed: () => undefined };
  const make = (sub: Redis) =>
    new RoomSubscriptions(new RedisBus(sub, r.redis, keys, testLogger()), hooks, testLogger(), createGatewayMetrics(new Registry()));

  before(async () => {
    r = await createTestRedis();
    keys = redisKeys(r.config.keyPrefix);
  });
  after(async () => {
    for (const s of subs) s.disconnect();
    await r.cleanup();
  });

  test('the first holder subscribes, later holders share it, the last release unsubscribes', async () => {
    const sub = new Redis(r.config.url);
    subs.push(sub);
    const rooms = make(sub);
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    await Promise.all([rooms.acquire(a), rooms.acquire(b)]);
    await rooms.acquire(a);
    assert.equal(await numsub(a), 1, 'acquire resolves only once the subscription is live');
    assert.equal(await numsub(b), 1);
    assert.equal(rooms.size, 2);
    rooms.release(a);
    rooms.release(b);
    await sub.ping(); // commands on one connection are ordered: the UNSUBSCRIBE went first
    assert.equal(await numsub(a), 1, 'a still has a holder');
    assert.equal(await numsub(b), 0);
    rooms.release(a);
    await sub.ping();
    assert.equal(await numsub(a), 0);
    assert.equal(rooms.size, 0);
  });

  test('a failed subscribe rejects its waiters, and the next acquire tries again', async () => {
    const sub = new Redis(r.config.url, { lazyConnect: true, enableOfflineQueue: false });
    subs.push(sub);
    const rooms = make(sub);
    const room = crypto.randomUUID();
    await assert.rejects(rooms.acquire(room));
    rooms.release(room);
    // The rejected command itself started the lazy connection; wait for it.
    if (sub.status !== 'ready') await new Promise((resolve) => sub.once('ready', resolve));
    await rooms.acquire(room);
    assert.equal(await numsub(room), 1);
  });
});
