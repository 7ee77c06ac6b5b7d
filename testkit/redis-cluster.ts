/**
 * A Redis Cluster of the test's own on loopback: `primaries` (3 by default)
 * Debian redis-servers in cluster mode on free ports, each in a fresh
 * directory, every slot assigned, the cluster bus meeting, and the cluster
 * reporting `cluster_state:ok` on every node before it is handed out.
 * Processes are stopped by PID, only the ones started here: the machine's
 * shared Redis is never touched.
 */
import { Cluster, Redis } from 'ioredis';
import { startRedisServer, type OwnRedis } from './redis-server.js';
import type { RedisTopology } from '../shared/config/redis-topology.js';
import calculateSlot from 'cluster-key-slot';
import { PARTITIONS, PRESENCE_TAG, partitionTag } from '../shared/redis/keys.js';

/** The slot of a partition's keys and channels in a Redis Cluster. */
export const partitionSlot = (partition: number): number => calculateSlot(partitionTag(partition));

export const SLOTS = 16384;

export interface OwnClusterOptions {
  primaries?: number;
  /**
   * How the slots are split: `even` as `redis-cli --cluster create` does
   * (what an operator gets by default), or `partitions`, which moves the
   * boundaries so that parley's partitions spread as evenly as they can
   * over the primaries (see docs/architecture.md, "Redis Cluster").
   */
  slots?: 'even' | 'partitions';
  /** `cluster-node-timeout` (ms). */
  nodeTimeoutMs?: number;
  /** Replicas per primary (0 by default), each replicating its primary once the cluster is up. */
  replicas?: number;
}

export interface OwnCluster {
  /** The primaries, in slot order. */
  nodes: OwnRedis[];
  /** Per primary (same order), its replicas. */
  replicas: OwnRedis[][];
  /** The slot ranges of each node, inclusive, in `nodes` order. */
  ranges: [number, number][];
  /** What a service is given (REDIS_CLUSTER_NODES through testkit/redis.ts's topologyEnv). */
  topology: RedisTopology;
  /** The node that serves `slot` (after `migrateSlot`, the one it moved to). */
  nodeOfSlot(slot: number): OwnRedis;
  /**
   * Moves `slot`, keys included, to `nodes[to]` while the cluster serves,
   * as `redis-cli --cluster reshard` does: the target IMPORTING and the
   * source MIGRATING (from then on, a command on a key the source no longer
   * has is redirected with ASK, and a multi-key one whose keys are split
   * answers TRYAGAIN), the keys moved with MIGRATE in batches, then SETSLOT
   * NODE on the target, the source and the rest. `batch` keys per MIGRATE
   * (100), `pauseMs` between batches (0: a test may stretch the migration so
   * that commands meet it half done). Resolves the number of keys moved.
   */
  migrateSlot(slot: number, to: number, options?: { batch?: number; pauseMs?: number }): Promise<number>;
  /** A cluster connection for the test's own checks. */
  client(): Cluster;
  /** Resolves once every running node says `cluster_state:ok`. */
  healthy(timeoutMs?: number): Promise<void>;
  destroy(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Slot ranges for `n` primaries. */
export function slotRanges(n: number, how: 'even' | 'partitions'): [number, number][] {
  const starts: number[] = [];
  if (how === 'even') {
    for (let i = 0; i < n; i++) starts.push(Math.floor((i * SLOTS) / n));
  } else {
    // The partitions' slots and presence's, in order; node i starts halfway
    // between the last slot of node i-1's share and the first of its own.
    const slots = [...Array.from({ length: PARTITIONS }, (_, p) => partitionSlot(p)), calculateSlot(PRESENCE_TAG)].sort((a, b) => a - b);
    starts.push(0);
    for (let i = 1; i < n; i++) {
      const k = Math.floor((i * slots.length) / n);
      starts.push(Math.floor((slots[k - 1]! + slots[k]!) / 2) + 1);
    }
  }
  return starts.map((s, i) => [s, (starts[i + 1] ?? SLOTS) - 1]);
}

export async function startRedisCluster(options: OwnClusterOptions = {}): Promise<OwnCluster> {
  const n = options.primaries ?? 3;
  const nodeTimeout = options.nodeTimeoutMs ?? 2000;
  const nodes: OwnRedis[] = [];
  const replicas: OwnRedis[][] = [];
  const clients: (Redis | Cluster)[] = [];
  const ranges = slotRanges(n, options.slots ?? 'even');
  // A node learns its own address from the MEETs of others; a lone primary
  // never does and names itself "" in CLUSTER SLOTS, which ioredis cannot
  // connect to: every node is told its address instead.
  const clusterArgs = [
    '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeout),
    '--cluster-announce-ip', '127.0.0.1',
  ];
  /** Slots moved by migrateSlot: slot → node index. */
  const moved = new Map<number, number>();
  const admin = (node: OwnRedis) => {
    const c = new Redis(node.url, { maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    return c;
  };
  try {
    for (let i = 0; i < n; i++) nodes.push(await startRedisServer({ args: clusterArgs }));
    const admins = nodes.map(admin);
    await Promise.all(admins.map((a, i) => a.call('CLUSTER', 'ADDSLOTSRANGE', ranges[i]![0], ranges[i]![1])));
    for (const node of nodes.slice(1)) await admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', node.port);
    for (let i = 0; i < n; i++) {
      replicas.push([]);
      const primaryId = String(await admins[i]!.call('CLUSTER', 'MYID'));
      for (let r = 0; r < (options.replicas ?? 0); r++) {
        const replica = await startRedisServer({ args: clusterArgs });
        replicas[i]!.push(replica);
        const a = admin(replica);
        await a.call('CLUSTER', 'MEET', '127.0.0.1', nodes[0]!.port);
        // A replica can follow its primary only once it knows it through the cluster bus.
        for (let t = 0; !String(await a.call('CLUSTER', 'NODES')).includes(primaryId); t++) {
          if (t > 200) throw new Error('a replica did not learn of its primary');
          await sleep(50);
        }
        await a.call('CLUSTER', 'REPLICATE', primaryId);
        a.disconnect();
      }
    }
    admins.forEach((a) => a.disconnect());
  } catch (err) {
    await Promise.all([...nodes, ...replicas.flat()].map((node) => node.destroy()));
    throw err;
  }
  const all = () => [...nodes, ...replicas.flat()];

  const cluster: OwnCluster = {
    nodes,
    replicas,
    ranges,
    topology: { kind: 'cluster', nodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), tls: false },
    nodeOfSlot(slot) {
      const i = moved.get(slot) ?? ranges.findIndex(([from, to]) => slot >= from && slot <= to);
      return nodes[i]!;
    },
    async migrateSlot(slot, to, { batch = 100, pauseMs = 0 } = {}) {
      const source = cluster.nodeOfSlot(slot);
      const target = nodes[to]!;
      if (source === target) return 0;
      const admins = nodes.map(admin);
      try {
        const ids = (await Promise.all(admins.map((a) => a.call('CLUSTER', 'MYID')))).map(String);
        const [src, tgt] = [admins[nodes.indexOf(source)]!, admins[to]!];
        const [srcId, tgtId] = [ids[nodes.indexOf(source)]!, ids[to]!];
        await tgt.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', srcId);
        await src.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', tgtId);
        let count = 0;
        for (;;) {
          const keys = (await src.call('CLUSTER', 'GETKEYSINSLOT', slot, batch)) as string[];
          if (keys.length === 0) break;
          await src.call('MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...keys);
          count += keys.length;
          if (pauseMs > 0) await sleep(pauseMs);
        }
        // The new owner first (it bumps its config epoch), then the old one, then the rest.
        await tgt.call('CLUSTER', 'SETSLOT', slot, 'NODE', tgtId);
        await src.call('CLUSTER', 'SETSLOT', slot, 'NODE', tgtId);
        for (const a of admins) if (a !== src && a !== tgt) await a.call('CLUSTER', 'SETSLOT', slot, 'NODE', tgtId);
        moved.set(slot, to);
        return count;
      } finally {
        admins.forEach((a) => a.disconnect());
      }
    },
    client() {
      const c = new Cluster(
        nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
        { redisOptions: { maxRetriesPerRequest: 1 }, shardedSubscribers: true },
      );
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async healthy(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(
          all().map(async (node) => {
            const c = new Redis(node.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
            c.on('error', () => undefined);
            try {
              await c.connect();
              const info = String(await c.call('CLUSTER', 'INFO'));
              // Every node must know every other one too, or a client's slot
              // map from one of them may still be partial.
              const known = String(await c.call('CLUSTER', 'NODES')).trim().split('\n').length;
              const role = await c.info('replication');
              const linked = !/role:slave/.test(role) || /master_link_status:up/.test(role);
              return /cluster_state:ok/.test(info) && known === all().length && linked;
            } catch {
              return false;
            } finally {
              c.disconnect();
            }
          }),
        );
        if (states.every(Boolean)) return;
        if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy after ${timeoutMs} ms: ${JSON.stringify(states)}`);
        await sleep(100);
      }
    },
    async destroy() {
      for (const c of clients) c.disconnect();
      await Promise.all(all().map((node) => node.destroy()));
    },
  };
  await cluster.healthy();
  return cluster;
}
