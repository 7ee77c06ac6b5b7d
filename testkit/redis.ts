/**
 * A Redis key prefix per test, so parallel test files never see each other's
 * keys or channels, plus cleanup of everything under it.
 */
import { randomBytes } from 'node:crypto';
import type { RedisConfig } from '../shared/config/slices.js';
import type { RedisTopology } from '../shared/config/redis-topology.js';
import { createRedis, isCluster, type RedisClient } from '../shared/redis/connect.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  /**
   * The services' Redis settings. `url` is a node's address for a test's own
   * connections: the single node, or the primary a Sentinel setup started
   * with (which a failover may take away; `redis` follows the topology).
   */
  config: RedisConfig & { url: string };
  redis: RedisClient;
  /** Deletes every key under the prefix, as when Redis loses its data (on every primary of a Cluster). */
  wipe(): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A fresh key prefix on `url` (the shared test Redis unless a test started
 * its own server), or on `topology` (a Sentinel setup of the test's own).
 */
export async function createTestRedis(url = TEST_REDIS_URL, topology: RedisTopology = { kind: 'single', url }): Promise<TestRedis> {
  const config: RedisConfig & { url: string } = {
    url,
    topology,
    keyPrefix: `t${randomBytes(5).toString('hex')}:`,
    commandTimeoutMs: 5000,
    evictionCheck: 'warn',
    epochCheckMs: 5000,
  };
  const redis = createRedis(topology, {});
  // A test may stop its own server under this connection; it reconnects when the server is back.
  redis.on('error', () => undefined);
  const wipe = async (): Promise<void> => {
    // A Redis Cluster's keys are spread over its primaries: each is scanned,
    // and keys are deleted one by one (a DEL of several spans slots).
    const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${config.keyPrefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await (isCluster(redis) ? Promise.all(keys.map((k) => redis.del(k))) : node.del(...keys));
        cursor = next;
      } while (cursor !== '0');
    }
  };
  return {
    config,
    redis,
    wipe,
    async cleanup() {
      await wipe();
      redis.disconnect();
    },
  };
}

/** The environment that points a service at `topology` (the inverse of the config's parsing). */
export function topologyEnv(topology: RedisTopology): Record<string, string> {
  const env: Record<string, string> = {};
  if (topology.username !== undefined) env.REDIS_USERNAME = topology.username;
  if (topology.password !== undefined) env.REDIS_PASSWORD = topology.password;
  const list = (addresses: { host: string; port: number }[]) => addresses.map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`).join(',');
  switch (topology.kind) {
    case 'single':
      return { ...env, REDIS_URL: topology.url };
    case 'sentinel':
      return {
        ...env,
        REDIS_SENTINELS: list(topology.sentinels),
        REDIS_SENTINEL_NAME: topology.name,
        ...(topology.sentinelUsername !== undefined ? { REDIS_SENTINEL_USERNAME: topology.sentinelUsername } : {}),
        ...(topology.sentinelPassword !== undefined ? { REDIS_SENTINEL_PASSWORD: topology.sentinelPassword } : {}),
        ...(topology.tls ? { REDIS_TLS: 'true' } : {}),
      };
    case 'cluster':
      return { ...env, REDIS_CLUSTER_NODES: list(topology.nodes), ...(topology.tls ? { REDIS_TLS: 'true' } : {}) };
  }
}
