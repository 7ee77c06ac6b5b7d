/**
 * The real message path (epochs, seeder, room log, publisher) over a test
 * database and key prefix, for tests below the services. Wired by the same
 * factory the services use (broker/wiring.ts).
 */
import { Registry } from 'prom-client';
import { createMessaging, type Messaging, type MessagingDeps } from '../shared/broker/wiring.js';
import { redisKeys, type RedisKeys } from '../shared/redis/keys.js';
import { testLogger } from './logger.js';
import type { TestDatabase } from './postgres.js';
import type { TestRedis } from './redis.js';

export const TEST_STREAMS: MessagingDeps['streams'] = { roomLogMaxLen: 1000, persistMaxBacklog: 1_000_000, dedupTtlSeconds: 600, publishBatchMax: 128 };

export function testMessaging(
  r: TestRedis,
  db: TestDatabase,
  options: { streams?: Partial<MessagingDeps['streams']>; logger?: MessagingDeps['logger']; registry?: Registry } = {},
): Messaging & { keys: RedisKeys; registry: Registry } {
  const keys = redisKeys(r.config.keyPrefix);
  const registry = options.registry ?? new Registry();
  const messaging = createMessaging({
    redis: r.redis,
    sql: db.sql,
    keys,
    streams: { ...TEST_STREAMS, ...options.streams },
    logger: options.logger ?? testLogger(),
    registry,
  });
  return { ...messaging, keys, registry };
}
