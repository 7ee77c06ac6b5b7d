/**
 * The Redis ports contract against a Redis Cluster of this file's own (3
 * primaries on loopback, slots split as `redis-cli --cluster create` does),
 * started once for every suite and destroyed after the last.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { createTestRedis } from '../../testkit/redis.js';
import { partitionSlot, startRedisCluster, type OwnCluster } from '../../testkit/redis-cluster.js';
import { PARTITIONS } from '../redis/keys.js';
import { redisPortsContract } from './redis-ports.contract.js';

let own: OwnCluster | undefined;
let started: Promise<OwnCluster> | undefined;

/** The cluster, started on first use; rooms in every partition must reach every primary, or the suites would test less than they claim. */
function cluster(): Promise<OwnCluster> {
  started ??= startRedisCluster().then((c) => {
    own = c;
    const served = new Set(Array.from({ length: PARTITIONS }, (_, p) => c.nodeOfSlot(partitionSlot(p)).port));
    assert.equal(served.size, c.nodes.length, 'the partitions span every primary');
    return c;
  });
  return started;
}

after(async () => {
  await own?.destroy();
});

redisPortsContract('Redis Cluster', async () => {
  const c = await cluster();
  const redis = await createTestRedis(c.nodes[0]!.url, c.topology);
  return { redis, cleanup: () => redis.cleanup() };
});
