/**
 * Configuration slices shared by more than one service. Service-specific
 * slices live beside each service's main.ts.
 */
import Type, { type Static } from 'typebox';
import { parsedSlice, setting } from './env.js';
import { parseRedisTopology } from './redis-topology.js';

export const LogConfig = Type.Object({
  level: setting.enum('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
});
export type LogConfig = Static<typeof LogConfig>;

/**
 * The Redis slice. The topology variables (see redis-topology.ts) become one
 * `topology` value, so nothing but the connection factory sees which form was
 * set; exactly one form may be, and REDIS_URL=redis://127.0.0.1:6379 applies
 * when none is.
 */
const RedisSettings = Type.Object({
  /** One node: `redis://[user:password@]host[:port][/db]`, `rediss://` for TLS. */
  url: setting.optionalString('REDIS_URL', { pattern: '^rediss?://', sensitive: true }),
  /** Sentinel: `host:port,host:port,…` of the sentinels (port 26379 by default), with REDIS_SENTINEL_NAME. */
  sentinels: setting.optionalString('REDIS_SENTINELS', { maxLength: 4096 }),
  /** The primary's name in the sentinels' `sentinel monitor` line. */
  sentinelName: setting.optionalString('REDIS_SENTINEL_NAME', { pattern: '^\\S+$', maxLength: 200 }),
  /** Credentials of the sentinels themselves (their `requirepass` / ACL user), if they need any. */
  sentinelUsername: setting.optionalString('REDIS_SENTINEL_USERNAME'),
  sentinelPassword: setting.optionalString('REDIS_SENTINEL_PASSWORD', { sensitive: true }),
  /** Reserved for Redis Cluster seed nodes (`host:port,…`): parsed, refused at startup until supported. */
  clusterNodes: setting.optionalString('REDIS_CLUSTER_NODES', { maxLength: 4096 }),
  /** Credentials of the data nodes, for every form (with REDIS_URL: unless the URL carries them). */
  username: setting.optionalString('REDIS_USERNAME'),
  password: setting.optionalString('REDIS_PASSWORD', { sensitive: true }),
  /** TLS to the sentinels and data nodes (Sentinel and Cluster forms; one node says `rediss://`). */
  tls: setting.boolean('REDIS_TLS', { default: false }),
  /**
   * Prepended to every key and channel, so several deployments (or test runs)
   * can share one Redis. Changing it on a live cluster orphans all state.
   */
  keyPrefix: setting.string('REDIS_KEY_PREFIX', { default: 'parley:', pattern: '^[A-Za-z0-9:_.-]*$', maxLength: 64 }),
  /**
   * A command without an answer after this long fails (the caller's
   * `unavailable`) instead of hanging on a stalled server. Blocking reads
   * (the worker's XREADGROUP) get their block time on top.
   */
  commandTimeoutMs: setting.integer('REDIS_COMMAND_TIMEOUT_MS', { default: 5000, minimum: 100 }),
  /**
   * Counters and logs have no TTL and must never be evicted: at startup a
   * `maxmemory-policy` other than `noeviction` is logged (`warn`), refused
   * (`refuse`: the process exits), or not checked (`off`).
   */
  evictionCheck: setting.enum('REDIS_EVICTION_CHECK', ['warn', 'refuse', 'off'], { default: 'warn' }),
  /** How often every process reads the partition epochs to notice a Redis data loss (also after every reconnect). */
  epochCheckMs: setting.integer('REDIS_EPOCH_CHECK_MS', { default: 5000, minimum: 100 }),
});

export const RedisConfig = parsedSlice(
  RedisSettings,
  ({ url, sentinels, sentinelName, sentinelUsername, sentinelPassword, clusterNodes, username, password, tls, ...rest }, problems) => ({
    topology: parseRedisTopology({ url, sentinels, sentinelName, sentinelUsername, sentinelPassword, clusterNodes, username, password, tls }, problems)!,
    ...rest,
  }),
);
export type RedisConfig = Static<typeof RedisConfig>;

export const PostgresConfig = Type.Object({
  url: setting.string('DATABASE_URL', { default: 'postgres://127.0.0.1:5432/parley', pattern: '^postgres(ql)?://', sensitive: true }),
  poolSize: setting.integer('DATABASE_POOL_SIZE', { default: 10, minimum: 1, maximum: 200 }),
  /** Run pending migrations at startup (under an advisory lock, so replicas take turns). */
  migrate: setting.boolean('DATABASE_MIGRATE', { default: true }),
  /**
   * Postgres cancels a statement running longer than this (it includes
   * waiting for locks); the request then answers 503 `unavailable` with
   * Retry-After instead of hanging. 0 disables it. Migrations are exempt.
   */
  statementTimeoutMs: setting.integer('DATABASE_STATEMENT_TIMEOUT_MS', { default: 5000, minimum: 0 }),
});
export type PostgresConfig = Static<typeof PostgresConfig>;

/**
 * The operations HTTP listener: /metrics, /healthz, /readyz. One per process,
 * bound apart from the public listener: OPS_HOST can keep metrics on a private
 * interface (or loopback) while the public port is open.
 */
export const opsConfig = (defaultPort: number) =>
  Type.Object({
    /** All interfaces by default, as containers need (Prometheus scrapes the pod IP); `make up` binds 127.0.0.1. */
    host: setting.host('OPS_HOST', { default: '0.0.0.0' }),
    port: setting.integer('OPS_PORT', { default: defaultPort, minimum: 0, maximum: 65535 }),
  });
export type OpsConfig = Static<ReturnType<typeof opsConfig>>;

/** Token claims that the api issues and the gateway verifies. */
export const TokenClaimsConfig = Type.Object({
  issuer: setting.string('AUTH_ISSUER', { default: 'parley' }),
  audience: setting.string('AUTH_AUDIENCE', { default: 'parley' }),
});
export type TokenClaimsConfig = Static<typeof TokenClaimsConfig>;

/** Message log and persistence queue limits; the Lua publish script enforces them. */
export const StreamsConfig = Type.Object({
  /** Approximate number of recent messages each room keeps in its Redis log. */
  roomLogMaxLen: setting.integer('ROOM_LOG_MAXLEN', { default: 1000, minimum: 10, maximum: 1_000_000 }),
  /**
   * Publishes are refused with `overloaded` when one persistence partition
   * holds this many unpersisted messages: a bound on Redis memory while Postgres
   * or the worker is down. It also bounds how many acked messages a Redis data
   * loss can take with it, so it is how far a room's seqs jump when its counter
   * is reseeded after one (see SeqSeeder); hence it cannot be turned off.
   */
  persistMaxBacklog: setting.integer('PERSIST_MAX_BACKLOG', { default: 1_000_000, minimum: 1 }),
  /**
   * Redis replicas that must have a message before it is acked (Redis WAIT);
   * 0 acks once the primary has it. With a replica, a failover to it loses no
   * acked message. See "What an ack promises" in docs/protocol.md.
   */
  ackReplicas: setting.integer('REDIS_ACK_REPLICAS', { default: 0, minimum: 0 }),
  /** How long an ack waits for REDIS_ACK_REPLICAS before the publish fails with `unavailable` (retried with the same cmid). */
  ackTimeoutMs: setting.integer('REDIS_ACK_TIMEOUT_MS', { default: 250, minimum: 1 }),
  /**
   * Most messages one publish.lua call carries. Publishes a process makes in
   * one event-loop turn go to Redis together, one call per persistence
   * partition (see shared/broker/publish-batch.ts); a full batch is sent at
   * once. 1 sends every message in its own call. Bounds how long one call
   * holds Redis (about 5 µs per message).
   */
  publishBatchMax: setting.integer('REDIS_PUBLISH_BATCH_MAX', { default: 128, minimum: 1, maximum: 4096 }),
  /** How long a (user, cmid) pair is remembered for idempotent retries. */
  dedupTtlSeconds: setting.integer('PUBLISH_DEDUP_TTL_SECONDS', { default: 86_400, minimum: 1 }),
});
export type StreamsConfig = Static<typeof StreamsConfig>;

/** Presence leases and events; shared by gateways (which hold leases) and the api (which reads). */
export const PresenceConfig = Type.Object({
  /** How often a gateway renews its lease and reaps expired ones. */
  heartbeatMs: setting.integer('PRESENCE_HEARTBEAT_MS', { default: 5000, minimum: 50 }),
  /**
   * A gateway's lease lasts this many heartbeats: after a crash its users are
   * offline within (leaseHeartbeats + 1) × heartbeatMs.
   */
  leaseHeartbeats: setting.integer('PRESENCE_LEASE_HEARTBEATS', { default: 3, minimum: 2 }),
  /** Rooms with more members than this get no per-user presence events (the global room, usually). */
  roomEventsMaxMembers: setting.integer('PRESENCE_ROOM_EVENTS_MAX_MEMBERS', { default: 1000, minimum: 0 }),
});
export type PresenceConfig = Static<typeof PresenceConfig>;
