/** The Redis ports contract against one Redis node: the shared test Redis, a fresh key prefix per suite. */
import { createTestRedis } from '../../testkit/redis.js';
import { redisPortsContract } from './redis-ports.contract.js';

redisPortsContract('one Redis node', async () => {
  const redis = await createTestRedis();
  return { redis, cleanup: () => redis.cleanup() };
});
