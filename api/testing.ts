/**
 * An in-process api over real Postgres and Redis, for route tests driven by
 * Fastify's `inject`. Wired like main.ts, but with a fresh database, its own
 * Redis key prefix and a freshly generated signing key.
 */
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import type { Static } from 'typebox';
import { createAccessVerifier, redisRevocationCheck } from '../shared/auth/verify.js';
import { publishControl } from '../shared/broker/redis-bus.js';
import type { Sql } from '../shared/db/connect.js';
import { problemType, type ErrorCode } from '../shared/errors.js';
import type { Problem, RegisterResponse, TokenResponse } from '../shared/http/schemas.js';
import { redisKeys, type RedisKeys } from '../shared/redis/keys.js';
import { PgMessageStore } from '../shared/store/pg-message-store.js';
import { testLogger } from '../shared/testing/logger.js';
import { createTestDatabase, type TestDatabase } from '../shared/testing/postgres.js';
import { createTestRedis, type TestRedis } from '../shared/testing/redis.js';
import { generateSigningJwk, signingKeysFromJwks, type SigningKeys } from './auth/keys.js';
import { Sessions } from './auth/sessions.js';
import { createTokenIssuer } from './auth/tokens.js';
import type { AuthConfig, HttpConfig } from './config.js';
import { buildApp, type App } from './http/app.js';
import { Rooms } from './rooms.js';
import { Users } from './users.js';

/** The password `register` and `login` use. */
export const TEST_PASSWORD = 'correct horse battery staple';

export interface ApiFixture {
  app: App;
  db: TestDatabase;
  sql: Sql;
  /** The api's own connection; pub/sub needs a separate one (a subscribed connection refuses commands). */
  redis: Redis;
  testRedis: TestRedis;
  keys: RedisKeys;
  signingKeys: SigningKeys;
  auth: Omit<AuthConfig, 'keysFile'>;
  http: HttpConfig;
  sessions: Sessions;
  store: PgMessageStore;
  /** Registers through the api; throws unless it answers 201. */
  register(username: string, password?: string): Promise<Static<typeof RegisterResponse>['user']>;
  /** Logs in through the api; throws unless it answers 200. */
  login(username: string, password?: string): Promise<TokenResponse>;
  cleanup(): Promise<void>;
}

export async function createApiFixture(options: { http?: Partial<HttpConfig> } = {}): Promise<ApiFixture> {
  const db = await createTestDatabase();
  let testRedis: TestRedis | undefined;
  try {
    testRedis = await createTestRedis();
    const { redis } = testRedis;
    const logger = testLogger();
    const keys = redisKeys(testRedis.config.keyPrefix);
    const signingKeys = await signingKeysFromJwks({ keys: [await generateSigningJwk()] }, 'test key set');
    const auth = { issuer: 'parley-test', audience: 'parley-test', accessTtlSeconds: 900, refreshTtlSeconds: 3600 };
    // Small body limit so the 413 path is reachable with a modest payload.
    const http: HttpConfig = { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, trustProxy: false, ...options.http };

    const sessions = new Sessions({
      sql: db.sql,
      redis,
      keys,
      publishControl: (event) => publishControl(redis, keys, event),
      issueAccessToken: createTokenIssuer(signingKeys, auth),
      config: auth,
      logger,
    });
    const verify = createAccessVerifier({
      keys: signingKeys.verifier,
      issuer: auth.issuer,
      audience: auth.audience,
      isRevoked: redisRevocationCheck(redis, keys.revokedSession),
    });
    const store = new PgMessageStore(db.sql);
    const app = await buildApp(http, logger, {
      users: new Users(db.sql),
      rooms: new Rooms(db.sql),
      sessions,
      history: store,
      verify,
      signingKeys,
      accessTtlSeconds: auth.accessTtlSeconds,
      refreshTtlSeconds: auth.refreshTtlSeconds,
    });
    const owned = testRedis;

    return {
      app,
      db,
      sql: db.sql,
      redis,
      testRedis: owned,
      keys,
      signingKeys,
      auth,
      http,
      sessions,
      store,
      async register(username, password = TEST_PASSWORD) {
        const res = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { username, password } });
        if (res.statusCode !== 201) throw new Error(`register ${username}: ${res.statusCode} ${res.body}`);
        return res.json<Static<typeof RegisterResponse>>().user;
      },
      async login(username, password = TEST_PASSWORD) {
        const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });
        if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`);
        return res.json<TokenResponse>();
      },
      async cleanup() {
        await app.close();
        await owned.cleanup();
        await db.drop();
      },
    };
  } catch (err) {
    // A half-built fixture would otherwise leak its database and connection.
    await testRedis?.cleanup();
    await db.drop();
    throw err;
  }
}

/**
 * Asserts an RFC 9457 problem+json answer with the given status and catalogue
 * code, and returns its body for further checks.
 */
export function assertProblem(res: LightMyRequestResponse, status: number, code: ErrorCode): Problem {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}: ${res.body}`);
  const contentType = res.headers['content-type'];
  assert.equal(typeof contentType === 'string' ? contentType.split(';')[0] : contentType, 'application/problem+json');
  const body = res.json<Problem>();
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(body.type, problemType(code));
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  return body;
}
