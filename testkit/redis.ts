/**
 * A Redis key prefix per test, so parallel test files never see each other's
 * keys or channels, plus cleanup of everything under it.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../shared/config/slices.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  config: RedisConfig;
  redis: Redis;
  cleanup(): Promise<void>;
}

/** A fresh key prefix on `url` (the shared test Redis unless a test started its own server). */
export async function createTestRedis(url = TEST_REDIS_URL): Promise<TestRedis> {
  const config: RedisConfig = {
    url,
    keyPrefix: `t${randomBytes(5).toString('hex')}:`,
    commandTimeoutMs: 5000,
    evictionCheck: 'warn',
    epochCheckMs: 5000,
  };
  const redis = new Redis(config.url);
  // A test may stop its own server under this connection; it reconnects when the server is back.
  redis.on('error', () => undefined);
  return {
    config,
    redis,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.keyPrefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}
