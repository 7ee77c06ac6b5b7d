/**
 * Configuration slices shared by more than one service. Service-specific
 * slices live beside each service's main.ts.
 */
import Type, { type Static } from 'typebox';
import { setting } from './env.js';

export const LogConfig = Type.Object({
  level: setting.enum('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
});
export type LogConfig = Static<typeof LogConfig>;

export const RedisConfig = Type.Object({
  url: setting.string('REDIS_URL', { default: 'redis://127.0.0.1:6379', pattern: '^rediss?://' }),
  /**
   * Prepended to every key and channel, so several deployments (or test runs)
   * can share one Redis. Changing it on a live cluster orphans all state.
   */
  keyPrefix: setting.string('REDIS_KEY_PREFIX', { default: 'parley:', pattern: '^[A-Za-z0-9:_.-]*$', maxLength: 64 }),
});
export type RedisConfig = Static<typeof RedisConfig>;

export const PostgresConfig = Type.Object({
  url: setting.string('DATABASE_URL', { default: 'postgres://127.0.0.1:5432/parley', pattern: '^postgres(ql)?://' }),
  poolSize: setting.integer('DATABASE_POOL_SIZE', { default: 10, minimum: 1, maximum: 200 }),
  /** Run pending migrations at startup (under an advisory lock, so replicas take turns). */
  migrate: setting.boolean('DATABASE_MIGRATE', { default: true }),
});
export type PostgresConfig = Static<typeof PostgresConfig>;

/** The operations HTTP listener: /metrics, /healthz, /readyz. One per process. */
export const opsConfig = (defaultPort: number) =>
  Type.Object({
    host: setting.string('OPS_HOST', { default: '0.0.0.0' }),
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
   * or the worker is down. 0 disables the bound.
   */
  persistMaxBacklog: setting.integer('PERSIST_MAX_BACKLOG', { default: 1_000_000, minimum: 0 }),
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
