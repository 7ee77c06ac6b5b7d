/**
 * The HTTP rate limits over the real test Redis: 429 problem+json with a
 * computed Retry-After past a limit, counters shared by api instances on the
 * same key prefix, independent per IP, username and user, off at 0, open
 * when Redis cannot be reached. The route fixture runs with the writes limit
 * (through startApi's wiring); the auth limits run on extra api instances
 * over the fixture's dependencies.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../shared/redis/connect.js';
import type { TokenResponse } from '../../shared/http/schemas.js';
import { testLogger } from '../../testkit/logger.js';
import { freePort } from '../../testkit/processes.js';
import type { RateLimitConfig } from '../config.js';
import { assertProblem, createApiFixture, TEST_PASSWORD, type ApiFixture } from '../testing.js';
import { buildApp, type App } from './app.js';

const OFF: RateLimitConfig = { windowMs: 60_000, authPerIp: 0, authPerUsername: 0, writesPerUser: 0 };

describe('HTTP rate limits', () => {
  let f: ApiFixture;
  let alice: TokenResponse;
  let bob: TokenResponse;
  const apps: App[] = [];
  const connections: RedisClient[] = [];

  /** Another api instance over the fixture's dependencies, counting in `redis` (the fixture's connection by default). */
  const instance = async (limits: Partial<RateLimitConfig>, redis: RedisClient = f.redis): Promise<App> => {
    const app = await buildApp(f.http, testLogger(), f.deps, { rateLimits: { redis, keys: f.keys, limits: { ...OFF, ...limits } } });
    apps.push(app);
    return app;
  };
  const login = (app: App, username: string, ip: string, password = 'wrong password') =>
    app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: ip, payload: { username, password } });
  const setStatus = (who: TokenResponse) => f.call(who, 'PUT', '/v1/me/status', { text: 'busy', away: false });

  /** A 429 rate_limited problem whose Retry-After is whole seconds within the window. */
  const assertLimited = (res: LightMyRequestResponse, windowSeconds: number) => {
    const body = assertProblem(res, 429, 'rate_limited');
    assert.equal(body.retryable, true);
    const retryAfter = Number(res.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds, `Retry-After ${res.headers['retry-after']}`);
    return retryAfter;
  };

  before(async () => {
    f = await createApiFixture({ rateLimit: { writesPerUser: 3 } });
    alice = await f.user('alice');
    bob = await f.user('bob');
  });
  after(async () => {
    for (const app of apps) await app.close();
    for (const c of connections) c.disconnect();
    await f?.cleanup();
  });

  test('auth per IP: past the limit login and refresh answer 429 with Retry-After; another address is not affected', async () => {
    const app = await instance({ authPerIp: 3 });
    for (let i = 0; i < 3; i++) assertProblem(await login(app, 'alice', '203.0.113.1'), 401, 'invalid_credentials');
    assertLimited(await login(app, 'alice', '203.0.113.1', TEST_PASSWORD), 60);
    const refresh = await app.inject({ method: 'POST', url: '/v1/auth/refresh', remoteAddress: '203.0.113.1', payload: { refreshToken: alice.refreshToken } });
    assertLimited(refresh, 60);
    assert.equal((await login(app, 'alice', '203.0.113.2', TEST_PASSWORD)).statusCode, 200, 'another address has its own count');
    assertProblem(await app.inject({ method: 'POST', url: '/v1/nope', remoteAddress: '203.0.113.1' }), 404, 'not_found');
    const ttl = await f.redis.pttl(`${f.keys.rateLimit('auth-ip')}203.0.113.1`);
    assert.ok(ttl > 0 && ttl <= 60_000, `the counter is under the api's key prefix, expiring with the window (${ttl})`);
  });

  test('auth per username holds across two api instances sharing Redis, case-insensitively and from any address', async () => {
    const second = new Redis(f.testRedis.config.url);
    connections.push(second);
    const a = await instance({ authPerUsername: 3 });
    const b = await instance({ authPerUsername: 3 }, second);
    assertProblem(await login(a, 'alice', '198.51.100.1'), 401, 'invalid_credentials');
    assertProblem(await login(b, 'ALICE', '198.51.100.2'), 401, 'invalid_credentials');
    assertProblem(await login(a, 'Alice', '198.51.100.3'), 401, 'invalid_credentials');
    assertLimited(await login(b, 'alice', '198.51.100.4', TEST_PASSWORD), 60);
    const register = await a.inject({ method: 'POST', url: '/v1/auth/register', remoteAddress: '198.51.100.5', payload: { username: 'alice', password: TEST_PASSWORD } });
    assertLimited(register, 60);
    assert.equal((await login(b, 'bob', '198.51.100.4', TEST_PASSWORD)).statusCode, 200, 'another username has its own count');
  });

  test('writes per user: the 4th write is 429; reads are not counted; another user is not affected', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await setStatus(alice)).statusCode, 200);
    assertLimited(await setStatus(alice), 60);
    assertLimited(await f.call(alice, 'POST', '/v1/rooms', { name: 'limited', visibility: 'public' }), 60);
    assert.equal((await f.call(alice, 'GET', '/v1/me')).statusCode, 200, 'reads are not writes');
    assert.equal((await setStatus(bob)).statusCode, 200);
  });

  test('a counter lasts one window: after Retry-After the address may try again', async () => {
    const app = await instance({ authPerIp: 1, windowMs: 1000 });
    assertProblem(await login(app, 'bob', '203.0.113.9'), 401, 'invalid_credentials');
    assert.equal(assertLimited(await login(app, 'bob', '203.0.113.9'), 1), 1);
    await sleep(1100);
    assertProblem(await login(app, 'bob', '203.0.113.9'), 401, 'invalid_credentials');
  });

  test('a limit of 0 is off', async () => {
    const app = await instance({});
    for (let i = 0; i < 12; i++) assertProblem(await login(app, 'bob', '203.0.113.10'), 401, 'invalid_credentials');
  });

  test('Redis unreachable: requests are let through (fail open), never a 500', async () => {
    const dead = new Redis({ host: '127.0.0.1', port: await freePort(), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    connections.push(dead);
    const app = await instance({ authPerIp: 1, authPerUsername: 1, writesPerUser: 1 }, dead);
    for (let i = 0; i < 3; i++) assertProblem(await login(app, 'bob', '203.0.113.11'), 401, 'invalid_credentials');
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'DELETE', url: '/v1/me/status', headers: { authorization: `Bearer ${bob.accessToken}` } });
      assert.equal(res.statusCode, 204, res.body);
    }
  });
});
