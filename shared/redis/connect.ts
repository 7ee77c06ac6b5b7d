/**
 * Redis connections, the one place that builds them: every service's
 * connections come from `connectRedis`, whatever the topology (one node or
 * Sentinel; see shared/config/redis-topology.ts), with the same options.
 * Startup waits for the first connection so a process that cannot reach
 * Redis exits with a clear message instead of retrying silently; after that,
 * ioredis reconnects on its own and re-subscribes. With Sentinel, every
 * reconnect asks the sentinels for the primary again, so a failover is a
 * reconnect like any other (the callers' gap repair and epoch checks run
 * after it, as after a restart), and the sentinels' announcement of a new
 * primary moves the connections at once (sentinel-switch.ts).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/slices.js';
import { describeRedisTopology, redactUrl, type RedisTopology } from '../config/redis-topology.js';
import { SELF_BATCHED_SCRIPTS } from './scripts.js';
import { followSwitches } from './sentinel-switch.js';
import type { Logger } from '../log.js';

export type { Redis, Cluster };
export { redactUrl };

/**
 * A connection of any topology: a `Redis` (one node, or the primary Sentinel
 * names) or a `Cluster`. Commands are the same; what differs is that a
 * Cluster refuses a pipeline, MULTI or multi-key command whose keys span
 * slots on different nodes (so callers group keys by partition: one slot
 * each) and subscribes sharded channels per shard.
 */
export type RedisClient = Redis | Cluster;

/** Another connection of the same topology and options (for a subscriber, say). */
export function duplicateRedis(redis: RedisClient): RedisClient {
  return isCluster(redis) ? redis.duplicate() : redis.duplicate();
}

/**
 * The connection as one node's, for code that only runs against one node
 * (the benchmark baselines): a Cluster is refused with `what` named.
 */
export function singleNode(redis: RedisClient, what: string): Redis {
  if (isCluster(redis)) throw new Error(`${what} runs against one Redis node (REDIS_URL or Sentinel), not a Redis Cluster`);
  return redis;
}

/** True for a Redis Cluster connection. */
export const isCluster = (redis: RedisClient): redis is Cluster => (redis as Cluster).isCluster === true;

export class DependencyUnavailableError extends Error {
  constructor(what: string, target: string, hint: string, cause: unknown) {
    super(`Cannot reach ${what} at ${target}: ${(cause as Error)?.message ?? String(cause)}\n${hint}`, { cause });
    this.name = 'DependencyUnavailableError';
  }
}

export const REDIS_HINT =
  'Start Redis 7+ (e.g. `redis-server --daemonize yes`) or point REDIS_URL at a running one.';

export const SENTINEL_HINT =
  'Check REDIS_SENTINELS (the sentinels\' host:port) and REDIS_SENTINEL_NAME (the name in their `sentinel monitor` line), ' +
  'and that the sentinels run and know a reachable primary of that name.';

/**
 * An unconnected ioredis client for the topology, with `options` on top:
 * the only code that branches on the kind. Tests build their own clients of
 * a topology with it too.
 */
export function createRedis(topology: RedisTopology & { kind: 'single' | 'sentinel' }, options?: RedisOptions): Redis;
export function createRedis(topology: RedisTopology, options?: RedisOptions & Pick<ClusterOptions, 'clusterRetryStrategy'>): RedisClient;
export function createRedis(topology: RedisTopology, options: RedisOptions & Pick<ClusterOptions, 'clusterRetryStrategy'> = {}): RedisClient {
  const credentials = {
    ...(topology.username !== undefined ? { username: topology.username } : {}),
    ...(topology.password !== undefined ? { password: topology.password } : {}),
  };
  switch (topology.kind) {
    case 'single':
      // Credentials in the URL win; the config refuses both at once.
      return new Redis(topology.url, { ...credentials, ...options });
    case 'sentinel':
      return new Redis({
        sentinels: topology.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: topology.name,
        role: 'master',
        ...credentials,
        ...(topology.sentinelUsername !== undefined ? { sentinelUsername: topology.sentinelUsername } : {}),
        ...(topology.sentinelPassword !== undefined ? { sentinelPassword: topology.sentinelPassword } : {}),
        ...(topology.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
        // ioredis's failoverDetector (reconnect on the sentinels'
        // +switch-master) stays off: it opens sentinel connections per
        // client and disconnects the client whatever its state, and a
        // disconnect while the client is asking the sentinels for the
        // primary ends the client for good (seen in
        // e2e/faults/sentinel-failover). connectRedis follows the switches
        // itself (sentinel-switch.ts).
        failoverDetector: false,
        ...options,
      });
    case 'cluster': {
      const { lazyConnect, enableAutoPipelining, autoPipeliningIgnoredCommands, retryStrategy, clusterRetryStrategy, ...perNode } = options;
      return stopSlotRefreshOnClose(new Cluster(
        topology.nodes.map((n) => ({ host: n.host, port: n.port })),
        {
          ...(lazyConnect !== undefined ? { lazyConnect } : {}),
          ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
          ...(autoPipeliningIgnoredCommands !== undefined ? { autoPipeliningIgnoredCommands } : {}),
          // Reconnecting the whole cluster client (all seed nodes failed).
          ...(clusterRetryStrategy !== undefined ? { clusterRetryStrategy } : retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
          // SSUBSCRIBE goes to the shard that owns the channel's slot, one
          // subscriber connection per primary (ioredis's ClusterSubscriberGroup).
          shardedSubscribers: true,
          // A node that restarts without a slot change (or a node the
          // connection lost briefly) is reconnected, not only found again on
          // the next MOVED.
          clusterNodeRetryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
          redisOptions: {
            ...credentials,
            ...(topology.tls ? { tls: {} } : {}),
            ...perNode,
          },
          // Seed and announced addresses are used as given (no DNS lookups
          // of their own): the nodes announce reachable addresses.
          slotsRefreshTimeout: 2000,
          // A primary that dies stops answering: no MOVED ever tells the
          // client that its replica took over, and with the per-node retry
          // above its connection never ends either. Reading the slot map
          // every 2 s finds the promoted replica.
          slotsRefreshInterval: 2000,
        },
      ));
    }
  }
}

/**
 * ioredis (6.0) re-arms the slotsRefreshInterval timer from the callback of
 * the refresh it started, whatever the client's state: a round in flight when
 * the application quits or disconnects the client calls back ("Cluster is
 * disconnected") and arms the next, and every round after that fails at once
 * (no nodes left) and arms another. The closed client's timer then runs every
 * 2 s for the life of the process and holds it open (a test file that never
 * exits; in a service, one loop per discarded client, such as each replaced
 * subscriber). Its status is no guide: after `disconnect()` each node's end
 * drains the already emptied pool again, so the client goes `end` and then
 * back to `close`.
 *
 * The rule here: a client the application closed (quit, or disconnect
 * without reconnect) reads no slot map until the application connects it
 * again; the refresh it skips calls nothing back, so the rounds stop. A
 * connect after that clears the stopped round's timer, which ioredis would
 * otherwise take for a running one and start no rounds at all.
 */
function stopSlotRefreshOnClose(cluster: Cluster): Cluster {
  let closed = false;
  const refresh = cluster.refreshSlotsCache.bind(cluster);
  const quit = cluster.quit.bind(cluster);
  const disconnect = cluster.disconnect.bind(cluster);
  const connect = cluster.connect.bind(cluster);
  // A private method of ioredis's Cluster; connect.test.ts checks that a reconnected client refreshes again.
  const clearRounds = () => (cluster as unknown as { clearNodesRefreshInterval(): void }).clearNodesRefreshInterval();
  cluster.refreshSlotsCache = (callback) => {
    if (!closed && cluster.status !== 'end') refresh(callback);
  };
  cluster.quit = (callback) => {
    closed = true;
    return quit(callback);
  };
  cluster.disconnect = (reconnect = false) => {
    if (!reconnect) closed = true;
    disconnect(reconnect);
  };
  cluster.connect = () => {
    if (closed) clearRounds();
    closed = false;
    return connect();
  };
  return cluster;
}

export const CLUSTER_HINT =
  'Check REDIS_CLUSTER_NODES (some of the cluster\'s nodes, host:port) and that the cluster is up with every slot assigned (`redis-cli --cluster check host:port`).';

function startupHint(topology: RedisTopology): string {
  return topology.kind === 'sentinel' ? SENTINEL_HINT : topology.kind === 'cluster' ? CLUSTER_HINT : REDIS_HINT;
}

export interface ConnectOptions {
  /** The longest BLOCK this connection's commands use (ms), added to the command timeout. */
  blockingMs?: number;
  /**
   * Send the commands issued in one event-loop turn in one write (ioredis
   * auto-pipelining). For connections many independent callers share, like
   * a gateway's: a connect storm's presence, revocation and announcement
   * reads, or many sockets' commands, then cost one write and one wake-up of
   * Redis instead of one each. Not for a connection that blocks (XREADGROUP
   * BLOCK would hold up the turn's other commands).
   */
  autoPipelining?: boolean;
}

/** Reconnect backoff, for the primary and (Sentinel) for a round of every sentinel. */
const backoff = (attempt: number) => Math.min(attempt * 100, 2000);

export async function connectRedis(
  config: Pick<RedisConfig, 'topology'> & Partial<Pick<RedisConfig, 'commandTimeoutMs'>>,
  logger: Logger,
  name: string,
  options: ConnectOptions = {},
): Promise<RedisClient> {
  let started = false;
  const redis = createRedis(config.topology, {
    lazyConnect: true,
    connectionName: name,
    // Commands issued while disconnected fail after a few retries instead of
    // queueing forever; callers turn that into a retryable `unavailable`.
    maxRetriesPerRequest: 3,
    retryStrategy: backoff,
    // Sentinel: at startup, one round over every sentinel, then fail (a
    // process that cannot find its primary exits and says why); later, keep
    // asking them, as during a failover.
    sentinelRetryStrategy: (attempt) => (started ? backoff(attempt) : null),
    // A write that reaches a primary demoted under it (a failover the
    // connection has not noticed yet) was refused before it ran: reconnect,
    // which asks the sentinels for the new primary, and send it again.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    enableAutoPipelining: options.autoPipelining === true,
    // The publish script batches itself (PublishBatcher, one call per turn
    // and partition): pipelining it again would cost one more turn and a
    // pipeline object per call.
    autoPipeliningIgnoredCommands: [...SELF_BATCHED_SCRIPTS],
    // A server that accepts commands but stalls (paused, a slow script, a
    // half-open connection) must not hang callers either.
    ...(config.commandTimeoutMs ? { commandTimeout: config.commandTimeoutMs + (options.blockingMs ?? 0) } : {}),
  });
  // ioredis reports a failed first connect as "Connection is closed"; the
  // socket error that caused it (ECONNREFUSED, ENOTFOUND, …) is what helps.
  // With Sentinel, what the sentinels answered ("sentinelError": unreachable,
  // or no primary of that name) says more than "All sentinels are unreachable".
  let lastError: Error | undefined;
  const sentinelErrors: string[] = [];
  const onStartupError = (err: Error) => (lastError = err);
  const onSentinelError = (err: Error) => sentinelErrors.push(err.message);
  redis.on('error', onStartupError);
  redis.on('sentinelError', onSentinelError);
  try {
    await redis.connect();
    started = true;
  } catch (err) {
    redis.disconnect();
    const cause = lastError ?? (err as Error);
    const detailed = sentinelErrors.length > 0 ? new Error(`${cause.message} (${sentinelErrors.slice(-3).join('; ')})`) : cause;
    throw new DependencyUnavailableError('Redis', describeRedisTopology(config.topology), startupHint(config.topology), detailed);
  } finally {
    redis.off('error', onStartupError);
    redis.off('sentinelError', onSentinelError);
  }
  redis.on('error', (err: Error) => logger.warn({ err: err.message, connection: name }, 'redis connection error'));
  redis.on('sentinelError', (err: Error) => logger.warn({ err: err.message, connection: name }, 'redis sentinel error'));
  if (config.topology.kind === 'sentinel') followSwitches(config.topology, redis as Redis, logger);
  return redis;
}

/**
 * The startup check of what parley needs of its Redis, on every primary of a
 * Cluster. Reads INFO (CONFIG may be disabled on managed Redis):
 * - Redis 7.0 or later, always: the fan-out is sharded pub/sub (SPUBLISH,
 *   SSUBSCRIBE), which older servers do not have (RedisVersionError);
 * - `maxmemory_policy` noeviction: room counters and logs have no TTL, and an
 *   eviction would lose seqs and make them be reused. Unless it is
 *   `noeviction`, this logs it (`warn`), throws (`refuse`), or lets it be (`off`).
 * Resolves the eviction policy found (null with `off`).
 */
export async function checkEvictionPolicy(redis: RedisClient, mode: RedisConfig['evictionCheck'], logger: Logger): Promise<string | null> {
  const nodes: Redis[] = isCluster(redis) ? redis.nodes('master') : [redis];
  const infos = await Promise.all(nodes.map(async (node) => (await node.info('server')) + (await node.info('memory'))));
  for (const info of infos) {
    const version = /^redis_version:(\S+)/m.exec(info)?.[1] ?? '';
    const major = Number(version.split('.')[0]);
    if (Number.isFinite(major) && major > 0 && major < 7) {
      throw new RedisVersionError(`Redis ${version} is too old: parley needs Redis 7.0 or later (sharded pub/sub: SPUBLISH, SSUBSCRIBE).`);
    }
  }
  if (mode === 'off') return null;
  const policies = infos.map((info) => /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null);
  const policy = policies.find((p) => p !== null && p !== 'noeviction') ?? policies[0] ?? null;
  if (policy === null || policy === 'noeviction') return policy;
  const message = `Redis maxmemory-policy is ${policy}; parley needs noeviction: an evicted room counter or log would make seqs be reused or messages vanish. Set maxmemory-policy noeviction (or REDIS_EVICTION_CHECK=off to accept the risk).`;
  if (mode === 'refuse') throw new EvictionPolicyError(message);
  logger.warn({ policy }, message);
  return policy;
}

export class RedisVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisVersionError';
  }
}

export class EvictionPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvictionPolicyError';
  }
}
