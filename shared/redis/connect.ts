/**
 * Redis connections. Startup waits for the first connection so a process
 * that cannot reach Redis exits with a clear message instead of retrying
 * silently; after that, ioredis reconnects on its own and re-subscribes.
 */
import { Redis } from 'ioredis';
import type { RedisConfig } from '../config/slices.js';
import { SELF_BATCHED_SCRIPTS } from './scripts.js';
import type { Logger } from '../log.js';

export type { Redis };

export class DependencyUnavailableError extends Error {
  constructor(what: string, target: string, hint: string, cause: unknown) {
    super(`Cannot reach ${what} at ${target}: ${(cause as Error)?.message ?? String(cause)}\n${hint}`, { cause });
    this.name = 'DependencyUnavailableError';
  }
}

export const REDIS_HINT =
  'Start Redis 7+ (e.g. `redis-server --daemonize yes`) or point REDIS_URL at a running one.';

/** Host and port only: URLs may carry passwords, which must not be printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
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

export async function connectRedis(
  config: Pick<RedisConfig, 'url'> & Partial<Pick<RedisConfig, 'commandTimeoutMs'>>,
  logger: Logger,
  name: string,
  options: ConnectOptions = {},
): Promise<Redis> {
  const redis = new Redis(config.url, {
    lazyConnect: true,
    connectionName: name,
    // Commands issued while disconnected fail after a few retries instead of
    // queueing forever; callers turn that into a retryable `unavailable`.
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
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
  let lastError: Error | undefined;
  const onStartupError = (err: Error) => (lastError = err);
  redis.on('error', onStartupError);
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new DependencyUnavailableError('Redis', redactUrl(config.url), REDIS_HINT, lastError ?? err);
  } finally {
    redis.off('error', onStartupError);
  }
  redis.on('error', (err: Error) => logger.warn({ err: err.message, connection: name }, 'redis connection error'));
  return redis;
}

/**
 * Room counters and logs have no TTL: an eviction would lose seqs and make
 * them be reused. Reads `maxmemory_policy` from INFO (CONFIG may be disabled
 * on managed Redis) and, unless it is `noeviction`, logs it (`warn`) or throws
 * (`refuse`). Resolves the policy found.
 */
export async function checkEvictionPolicy(redis: Redis, mode: RedisConfig['evictionCheck'], logger: Logger): Promise<string | null> {
  if (mode === 'off') return null;
  const info = await redis.info('memory');
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
  if (policy === null || policy === 'noeviction') return policy;
  const message = `Redis maxmemory-policy is ${policy}; parley needs noeviction: an evicted room counter or log would make seqs be reused or messages vanish. Set maxmemory-policy noeviction (or REDIS_EVICTION_CHECK=off to accept the risk).`;
  if (mode === 'refuse') throw new EvictionPolicyError(message);
  logger.warn({ policy }, message);
  return policy;
}

export class EvictionPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvictionPolicyError';
  }
}
