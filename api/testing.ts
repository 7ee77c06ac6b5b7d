/**
 * An in-process api over real Postgres and Redis, for route tests driven by
 * Fastify's `inject`. Started by the same `startApi` as main.ts (its own
 * pool and connection, the wiring, the background work), but on a fresh
 * database, its own Redis key prefix and a freshly generated signing key,
 * with limits small enough for tests to reach.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { Static } from 'typebox';
import { decodeControlEvent, type ControlEvent } from '../shared/broker/control.js';
import { publishControl } from '../shared/broker/redis-bus.js';
import type { Sql } from '../shared/db/connect.js';
import { problemType, type ErrorCode } from '../shared/errors.js';
import type { Problem, RegisterResponse, TokenResponse } from '../shared/http/schemas.js';
import type { RedisKeys } from '../shared/redis/keys.js';
import { createRedis, type RedisClient } from '../shared/redis/connect.js';
import type { RedisTopology } from '../shared/config/redis-topology.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgMessageStore } from '../shared/store/pg-message-store.js';
import type { Messaging } from '../shared/broker/wiring.js';
import { Registry } from 'prom-client';
import { startApi } from './compose.js';
import { testLogger } from '../testkit/logger.js';
import { createTestDatabase, type TestDatabase } from '../testkit/postgres.js';
import { createTestRedis, type TestRedis } from '../testkit/redis.js';
import { generateSigningJwk, signingKeysFromJwks, type SigningKeys } from './auth/keys.js';
import type { Sessions } from './auth/sessions.js';
import { loadUploadsConfig, type AuthConfig, type HttpConfig, type RateLimitConfig, type UploadsConfig } from './config.js';
import type { App } from './http/app.js';
import type { RouteDeps } from './routes/deps.js';

/** The password `register` and `login` use. */
export const TEST_PASSWORD = 'correct horse battery staple';

export interface ApiFixture {
  app: App;
  db: TestDatabase;
  /** The test's own pool on the database (the api has another). */
  sql: Sql;
  /** The api's own pool (ending it makes Postgres unreachable for the api, not for the test). */
  apiSql: Sql;
  /** The api's own connection; pub/sub needs a separate one (a subscribed connection refuses commands). */
  redis: RedisClient;
  testRedis: TestRedis;
  keys: RedisKeys;
  signingKeys: SigningKeys;
  auth: Omit<AuthConfig, 'keysFile'>;
  http: HttpConfig;
  sessions: Sessions;
  /** The durable half of history: append here to stand in for the worker. */
  store: PgMessageStore;
  /** The message path the api was wired with (publisher, room log, epochs). */
  messaging: Messaging;
  /** What the routes were given; a test can register them on another Fastify instance. */
  deps: RouteDeps;
  /** Registers through the api; throws unless it answers 201. */
  register(username: string, password?: string): Promise<Static<typeof RegisterResponse>['user']>;
  /** Logs in through the api; throws unless it answers 200. */
  login(username: string, password?: string): Promise<TokenResponse>;
  /** Registers and logs in. */
  user(username: string): Promise<TokenResponse>;
  /** A JSON request as `who` (a login, or null for none). */
  call(who: TokenResponse | null, method: HttpMethod, url: string, payload?: unknown): Promise<LightMyRequestResponse>;
  /** Starts recording control events on a separate subscriber connection. */
  controlEvents(): Promise<ControlRecorder>;
  cleanup(): Promise<void>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Control events seen on the control channel since the recorder started. */
export interface ControlRecorder {
  /**
   * Every event published since the last `take` (or the start). Waits for a
   * marker published after them on the same connection the api uses, so
   * nothing published before the call is missed, with no timing involved.
   */
  take(): Promise<ControlEvent[]>;
  close(): Promise<void>;
}

export async function createApiFixture(
  options: {
    http?: Partial<HttpConfig>;
    announcementsKeepLatest?: number;
    presenceRoomEventsMaxMembers?: number;
    uploads?: Partial<UploadsConfig>;
    /** HTTP rate limits; every one is off (0) unless given. */
    rateLimit?: Partial<RateLimitConfig>;
    /** DATABASE_STATEMENT_TIMEOUT_MS for the api's own pool (default none; the fixture's `sql` has none). */
    statementTimeoutMs?: number;
  } = {},
): Promise<ApiFixture> {
  const db = await createTestDatabase();
  let testRedis: TestRedis | undefined;
  try {
    testRedis = await createTestRedis();
    const logger = testLogger();
    const signingKeys = await signingKeysFromJwks({ keys: [await generateSigningJwk()] }, 'test key set');
    const auth = { issuer: 'parley-test', audience: 'parley-test', accessTtlSeconds: 900, refreshTtlSeconds: 3600 };
    // Small body limit so the 413 path is reachable with a modest payload.
    const http: HttpConfig = { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, maxMessageBytes: 4096, trustProxy: false, ...options.http };

    const uploadsDir = mkdtempSync(join(tmpdir(), 'parley-uploads-'));
    const api = await startApi(
      {
        postgres: { url: db.url, poolSize: 4, migrate: false, statementTimeoutMs: options.statementTimeoutMs ?? 0 },
        redis: testRedis.config,
        http,
        rateLimit: { windowMs: 60_000, authPerIp: 0, authPerUsername: 0, writesPerUser: 0, ...options.rateLimit },
        auth,
        uploads: { ...loadUploadsConfig({ UPLOADS_DIR: uploadsDir, UPLOADS_MAX_BYTES: String(10 * 1024 * 1024) }), ...options.uploads },
        streams: { roomLogMaxLen: 1000, persistMaxBacklog: 1_000_000, dedupTtlSeconds: 3600, ackReplicas: 0, ackTimeoutMs: 250, publishBatchMax: 128 },
        announcements: { keepLatest: options.announcementsKeepLatest ?? 5 },
        presence: { heartbeatMs: 5000, leaseHeartbeats: 3, roomEventsMaxMembers: options.presenceRoomEventsMaxMembers ?? 1000 },
      },
      { logger, registry: new Registry(), signingKeys },
    ).catch((err: unknown) => {
      rmSync(uploadsDir, { recursive: true, force: true });
      throw err;
    });
    const { app, deps, sessions, store, messaging, redis, keys } = api;
    const owned = testRedis;
    const recorders = new Set<ControlRecorder>();

    const register = async (username: string, password = TEST_PASSWORD) => {
      const res = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { username, password } });
      if (res.statusCode !== 201) throw new Error(`register ${username}: ${res.statusCode} ${res.body}`);
      return res.json<Static<typeof RegisterResponse>>().user;
    };
    const login = async (username: string, password = TEST_PASSWORD) => {
      const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });
      if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`);
      return res.json<TokenResponse>();
    };

    return {
      app,
      db,
      sql: db.sql,
      apiSql: api.sql,
      redis,
      testRedis: owned,
      keys,
      signingKeys,
      auth,
      http,
      sessions,
      store,
      messaging,
      deps,
      register,
      login,
      async user(username) {
        await register(username);
        return login(username);
      },
      call(who, method, url, payload) {
        return app.inject({
          method,
          url,
          headers: who ? { authorization: `Bearer ${who.accessToken}` } : {},
          ...(payload === undefined ? {} : { payload: payload as object }),
        });
      },
      async controlEvents() {
        const recorder = await recordControl(owned.config.topology, redis, keys);
        recorders.add(recorder);
        return recorder;
      },
      async cleanup() {
        for (const r of recorders) await r.close();
        await api.stop();
        rmSync(uploadsDir, { recursive: true, force: true });
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

/** Marker events are session_revoked with this reason, so they cannot be mistaken for real ones. */
const MARKER_REASON = 'test-control-marker';

async function recordControl(topology: RedisTopology, publisher: RedisClient, keys: RedisKeys): Promise<ControlRecorder> {
  const subscriber = createRedis(topology);
  const channel = keys.controlChannel();
  let pending: ControlEvent[] = [];
  const waiting = new Map<string, () => void>();
  subscriber.on('smessage', (ch: string, raw: string) => {
    if (ch !== channel) return;
    const event = decodeControlEvent(raw);
    assert.ok(event, `undecodable control event: ${raw}`);
    if (event.type === 'session_revoked' && event.reason === MARKER_REASON) {
      waiting.get(event.sessionId)?.();
      return;
    }
    pending.push(event);
  });
  await subscriber.ssubscribe(channel);
  return {
    async take() {
      const marker = randomUUID();
      const seen = new Promise<void>((resolve) => waiting.set(marker, resolve));
      await publishControl(publisher, keys, { type: 'session_revoked', sessionId: marker, reason: MARKER_REASON });
      await seen;
      waiting.delete(marker);
      const events = pending;
      pending = [];
      return events;
    },
    async close() {
      subscriber.disconnect();
    },
  };
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
