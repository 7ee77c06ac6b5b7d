/**
 * Redis of parley's own for a benchmark run (the machine's shared Redis is
 * never reconfigured), set up like the shared one (no persistence):
 * - a primary and N replicas, for REDIS_ACK_REPLICAS (`--ack-replicas`);
 * - a Redis Cluster of N primaries on loopback (the `parley-cluster<N>`
 *   targets), whose nodes the report shows one by one.
 * Their processes are the target's: their CPU counts as parley's.
 */
import { startRedisServer, type OwnRedis } from '../../../testkit/redis-server.js';
import { partitionSlot, startRedisCluster } from '../../../testkit/redis-cluster.js';
import type { RedisTopology } from '../../../shared/config/redis-topology.js';
import calculateSlot from 'cluster-key-slot';
import { PARTITIONS } from '../../../shared/redis/keys.js';
import type { RedisNodeInfo, ServerProcessInfo } from '../target.js';

export interface ParleyRedis {
  /** A node's address for the cluster's own checks. */
  url: string;
  /** What the services are given; absent: `url` as one node. */
  topology?: RedisTopology;
  processes(): ServerProcessInfo[];
  nodes?(): RedisNodeInfo[];
  stop(): Promise<void>;
}

export async function primaryWithReplicas(replicas: number): Promise<ParleyRedis> {
  const primary = await startRedisServer();
  const copies: OwnRedis[] = [];
  try {
    for (let i = 0; i < replicas; i++) copies.push(await startRedisServer({ replicaOf: primary }));
    const probe = primary.client();
    for (let i = 0; i < 200 && !new RegExp(`connected_slaves:${replicas}`).test(await probe.info('replication')); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    for (const s of [primary, ...copies]) await s.destroy();
    throw err;
  }
  return {
    url: primary.url,
    processes: () => [primary, ...copies].map((s, i) => ({ name: i === 0 ? 'redis-primary' : `redis-replica-${i}`, pid: s.pid, holdsSockets: false })),
    stop: async () => {
      for (const s of [primary, ...copies]) await s.destroy();
    },
  };
}

/**
 * A Redis Cluster of `primaries` primaries, no replicas. `partitions` splits
 * the slots so parley's 8 partitions spread as evenly as they can (3
 * primaries: 2/3/3); `even` is what `redis-cli --cluster create` does (3
 * primaries: 2/2/4, see docs/benchmarks.md).
 */
export async function ownRedisCluster(primaries: number, slots: 'even' | 'partitions'): Promise<ParleyRedis> {
  const cluster = await startRedisCluster({ primaries, slots });
  const name = (i: number) => `redis-${i + 1}`;
  const served = (i: number, slot: number) => {
    const [from, to] = cluster.ranges[i]!;
    return slot >= from && slot <= to;
  };
  return {
    url: cluster.nodes[0]!.url,
    topology: cluster.topology,
    processes: () => cluster.nodes.map((node, i) => ({ name: name(i), pid: node.pid, holdsSockets: false })),
    nodes: () =>
      cluster.nodes.map((node, i) => ({
        name: name(i),
        url: node.url,
        partitions: Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => served(i, partitionSlot(p))),
        // Presence's one slot; control events travel in partition 0's.
        extras: [...(served(i, calculateSlot('{presence}')) ? ['presence'] : []), ...(served(i, partitionSlot(0)) ? ['control'] : [])],
      })),
    stop: () => cluster.destroy(),
  };
}
