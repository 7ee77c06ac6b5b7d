/**
 * A Redis key prefix per test, so parallel test files never see each other's
 * keys or channels, plus cleanup of everything under it.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../config/slices.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  config: RedisConfig;
  redis: Redis;
  cleanup(): Promise<void>;
}

export async function createTestRedis(): Promise<TestRedis> {
  const config: RedisConfig = {
    url: TEST_REDIS_URL,
    keyPrefix: `t${randomBytes(5).toString('hex')}:`,
    commandTimeoutMs: 5000,
    evictionCheck: 'warn',
    epochCheckMs: 5000,
  };
  const redis = new Redis(config.url);
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
