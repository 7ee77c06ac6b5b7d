/**
 * HTTP rate limits, cluster-wide: @fastify/rate-limit with its Redis store on
 * the api's own connection, so every replica counts against the same
 * counters (keys under `keys.rateLimit(...)`, hence the api's key prefix).
 *
 * - `auth-ip`: routes whose config says `authLimit` (register, login,
 *   refresh), per client IP (`request.ip`: the forwarded address with
 *   API_TRUST_PROXY; IPv6 per /64). Counted first (onRequest), before the
 *   body is read, so a flood of malformed requests counts too.
 * - `auth-username`: routes with `authLimit: 'ip+username'` (register,
 *   login), per username of the (valid) body, case-insensitively as accounts
 *   are: password guessing against one account from many IPs. Counted once the
 *   body validated (preHandler), before the password hash is computed.
 * - `writes`: POST, PUT, PATCH and DELETE by an authenticated user, per user
 *   id, counted after authentication and before the body is read
 *   (preParsing). tus uploads authenticate inside tus, so they are not
 *   counted here: one upload is many PATCH requests; UPLOADS_MAX_BYTES and
 *   the room policy bound them.
 *
 * Each limit is a fixed window of API_RATE_LIMIT_WINDOW_MS from a key's first
 * request (the store's INCR + PEXPIRE, one Redis round trip). Over it:
 * `429 rate_limited`, problem+json, `Retry-After` = what is left of the window.
 * A limit set to 0 is not installed at all.
 *
 * Redis unreachable: the request is let through (fail open) and a warning
 * logged. These limits protect against abuse; they are not what makes a
 * request correct. Login and register need only Postgres, so failing closed
 * would turn a Redis outage into nobody being able to log in, while an
 * attacker gains little (argon2 bounds each process's guessing rate, and
 * authenticated routes verify tokens against Redis and answer 503 without it).
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { RedisClient } from '../../shared/redis/connect.js';
import { ParleyError } from '../../shared/errors.js';
import type { RedisKeys } from '../../shared/redis/keys.js';
import type { RateLimitConfig } from '../config.js';
import type { App } from './app.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counted by the auth limits: per client IP, and per body `username` too with 'ip+username'. */
    authLimit?: 'ip' | 'ip+username';
  }
}

export interface RateLimitSettings {
  /** The api's Redis connection. */
  redis: RedisClient;
  keys: RedisKeys;
  limits: RateLimitConfig;
}

/** Counts the request; throws `rate_limited` over the limit. */
type Limiter = (request: FastifyRequest) => Promise<void>;

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * One limit: the plugin registered in a scope of its own, so it has its own
 * Redis namespace, and its `createRateLimit()` (called without options)
 * keys counters exactly `<namespace><key>`. Null when `max` is 0.
 */
async function limiter(
  app: App,
  settings: RateLimitSettings,
  name: string,
  max: number,
  what: string,
  key?: (request: FastifyRequest) => string,
): Promise<Limiter | null> {
  if (max === 0) return null;
  let check: ReturnType<App['createRateLimit']> | undefined;
  await app.register(async (scope) => {
    await scope.register(rateLimit, {
      global: false,
      redis: settings.redis,
      nameSpace: settings.keys.rateLimit(name),
      max,
      timeWindow: settings.limits.windowMs,
      // Without a key function the plugin's own: the client IP, IPv6 per /64.
      ...(key ? { keyGenerator: key } : {}),
    });
    check = scope.createRateLimit();
  });
  const counted = check!;
  return async (request) => {
    let result: Awaited<ReturnType<typeof counted>>;
    try {
      result = await counted(request);
    } catch (err) {
      request.log.warn({ err, limit: name }, 'rate limit not checked (RedisClient unavailable): request let through');
      return;
    }
    if (result.isAllowed || !result.isExceeded) return;
    const seconds = Math.max(1, result.ttlInSeconds);
    throw new ParleyError('rate_limited', `Too many ${what}; retry in ${seconds} s`, { retryAfterMs: result.ttl });
  };
}

/** Installs the configured limits; call before the routes are registered. */
export async function registerRateLimits(app: App, settings: RateLimitSettings): Promise<void> {
  const { limits } = settings;
  const perIp = await limiter(app, settings, 'auth-ip', limits.authPerIp, 'sign-in requests from this address');
  const perUsername = await limiter(app, settings, 'auth-username', limits.authPerUsername, 'sign-in requests for this username', (request) =>
    (request.body as { username: string }).username.toLowerCase(),
  );
  const writes = await limiter(app, settings, 'writes', limits.writesPerUser, 'changes by this user', (request) => request.principal!.userId);

  if (perIp) {
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.authLimit) await perIp(request);
    });
  }
  if (perUsername) {
    app.addHook('preHandler', async (request) => {
      if (request.routeOptions.config.authLimit === 'ip+username') await perUsername(request);
    });
  }
  if (writes) {
    // Route-level onRequest hooks (requireAuth) have run by now: the principal is known.
    app.addHook('preParsing', async (request) => {
      if (request.principal && WRITES.has(request.method)) await writes(request);
    });
  }
}
