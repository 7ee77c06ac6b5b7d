/**
 * Redis connections. Startup waits for the first connection so a process
 * that cannot reach Redis exits with a clear message instead of retrying
 * silently; after that, ioredis reconnects on its own and re-subscribes.
 */
import { Redis } from 'ioredis';
import type { RedisConfig } from '../config/slices.js';
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

export async function connectRedis(config: RedisConfig, logger: Logger, name: string): Promise<Redis> {
  const redis = new Redis(config.url, {
    lazyConnect: true,
    connectionName: name,
    // Commands issued while disconnected fail after a few retries instead of
    // queueing forever; callers turn that into a retryable `unavailable`.
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
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
