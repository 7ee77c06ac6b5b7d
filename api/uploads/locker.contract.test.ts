/**
 * The Locker contract against tus's MemoryLocker (the reference semantics)
 * and against RedisLocker on a real Redis, each test with its own key prefix.
 */
import { MemoryLocker } from '@tus/server';
import { duplicateRedis, type RedisClient } from '../../shared/redis/connect.js';
import { redisKeys } from '../../shared/redis/keys.js';
import { createTestRedis } from '../../testkit/redis.js';
import { lockerContract } from './locker.contract.js';
import { RedisLocker } from './redis-locker.js';

/** Short enough to keep the timeout tests fast, and below every lease used here. */
const ACQUIRE_TIMEOUT_MS = 300;

lockerContract('MemoryLocker', async () => {
  const locker = new MemoryLocker({ acquireLockTimeout: ACQUIRE_TIMEOUT_MS });
  return {
    locker,
    // One process: the "other process" is the same in-memory table.
    peer: async () => locker,
    cleanup: async () => {},
  };
});

lockerContract('RedisLocker', async () => {
  const test = await createTestRedis();
  const keys = redisKeys(test.config.keyPrefix);
  const lockers: RedisLocker[] = [];
  const connections: RedisClient[] = [];
  /** Every instance gets its own command connection, like a separate api process. */
  const make = (leaseMs: number, refreshIntervalMs?: number) => {
    const redis = duplicateRedis(test.redis);
    connections.push(redis);
    const locker = new RedisLocker({ redis, keys, leaseMs, refreshIntervalMs, acquireTimeoutMs: ACQUIRE_TIMEOUT_MS });
    lockers.push(locker);
    return locker;
  };
  // A lease several times the acquire timeout, refreshed every third of it:
  // a healthy holder never lapses during a test, a leaked lock outlives a waiter.
  const locker = make(1_500);
  return {
    locker,
    peer: async () => make(1_500),
    stalled: async () => ({
      // Refreshes far later than the lease: the lease lapses like a crashed holder's.
      locker: make(150, 3_600_000),
      isFree: async (id: string) => (await test.redis.exists(keys.tusLock(id))) === 0,
    }),
    async cleanup() {
      for (const l of lockers) l.close();
      for (const c of connections) c.disconnect();
      await test.cleanup();
    },
  };
});
