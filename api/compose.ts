/**
 * The api's composition root: every component wired once, from connections
 * and a config (`composeApi`), and the process around it: connections,
 * background work and shutdown (`startApi`). main.ts serves what `startApi`
 * returns; the route tests' fixture (testing.ts) starts the same thing over a
 * test database and key prefix and drives it with `inject`.
 */
import type { RedisClient } from '../shared/redis/connect.js';
import type { Registry } from 'prom-client';
import { connectPostgres, type Sql } from '../shared/db/connect.js';
import { migrate } from '../shared/db/migrate.js';
import type { Logger } from '../shared/log.js';
import { checkEvictionPolicy, connectRedis } from '../shared/redis/connect.js';
import { redisKeys, type RedisKeys } from '../shared/redis/keys.js';
import { publishControl } from '../shared/broker/redis-bus.js';
import { createMessaging, type Messaging } from '../shared/broker/wiring.js';
import { createAccessVerifier, redisRevocationCheck } from '../shared/auth/verify.js';
import { PgMessageStore } from '../shared/store/pg-message-store.js';
import { AnnotatedHistory } from '../shared/store/annotated-history.js';
import { MergedHistory } from '../shared/store/merged-history.js';
import { RedisPresence } from '../shared/presence/redis-presence.js';
import { presenceRooms } from '../shared/presence/rooms.js';
import { registerScripts } from '../shared/redis/scripts.js';
import type { ApiConfig, WebSettings } from './config.js';
import type { SigningKeys } from './auth/keys.js';
import { createTokenIssuer } from './auth/tokens.js';
import { Sessions } from './auth/sessions.js';
import { Users } from './users.js';
import { RoomRepository } from './rooms/repository.js';
import { RoomSeqs } from './rooms/seqs.js';
import { Announcements } from './announcements.js';
import { MessageSearch } from './search/messages.js';
import { MessageMutations } from './messages/mutations.js';
import { buildApp, type App } from './http/app.js';
import { createUploads, type Uploads } from './uploads/wiring.js';
import type { RouteDeps } from './routes/deps.js';

export interface ApiConnections {
  sql: Sql;
  redis: RedisClient;
  keys: RedisKeys;
  logger: Logger;
  registry: Registry;
  signingKeys: SigningKeys;
}

export type ApiSettings = Pick<ApiConfig, 'http' | 'rateLimit' | 'uploads' | 'streams' | 'announcements' | 'presence'> & {
  auth: Omit<ApiConfig['auth'], 'keysFile'>;
  /** CORS, the web client and its settings; none of them when absent. */
  web?: WebSettings;
};

export interface ComposedApi {
  app: App;
  deps: RouteDeps;
  uploads: Uploads;
  messaging: Messaging;
  /** The durable half of history (tests append here to stand in for the worker). */
  store: PgMessageStore;
  sessions: Sessions;
}

export async function composeApi(c: ApiConnections, settings: ApiSettings): Promise<ComposedApi> {
  const { sql, redis, keys, logger, signingKeys } = c;
  const messaging = createMessaging({ redis, sql, keys, streams: settings.streams, logger, registry: c.registry });
  const control = (event: Parameters<typeof publishControl>[2]) => publishControl(redis, keys, event);
  const sessions = new Sessions({
    sql,
    redis,
    keys,
    publishControl: control,
    issueAccessToken: createTokenIssuer(signingKeys, settings.auth),
    config: settings.auth,
    logger,
  });
  const verify = createAccessVerifier({
    keys: signingKeys.verifier,
    issuer: settings.auth.issuer,
    audience: settings.auth.audience,
    isRevoked: redisRevocationCheck(redis, keys.revokedSession),
  });
  const rooms = new RoomRepository(sql);
  const uploads = createUploads({
    config: settings.uploads,
    publisher: messaging.publisher,
    sql,
    redis,
    keys,
    verify,
    rooms,
    logger,
    trustProxy: settings.http.trustProxy,
    corsOrigins: settings.web?.corsOrigins ?? [],
  });
  const store = new PgMessageStore(sql);
  const deps: RouteDeps = {
    users: new Users(sql),
    rooms,
    tus: uploads.tus,
    files: uploads.files,
    content: uploads.content,
    sessions,
    // Postgres plus the Redis room log, so an acked message is in history at once.
    history: new AnnotatedHistory(sql, new MergedHistory({ durable: store, roomLog: messaging.roomLog, logger })),
    messages: new MessageMutations(sql, messaging.roomLog),
    maxMessageBytes: settings.http.maxMessageBytes,
    search: new MessageSearch(sql),
    roomSeqs: new RoomSeqs({ sql, roomLog: messaging.roomLog }),
    announcements: new Announcements({ sql, redis, keys, keepLatest: settings.announcements.keepLatest }),
    verify,
    signingKeys,
    publishControl: control,
    presence: new RedisPresence(redis, registerScripts(redis), keys),
    presenceRooms: (userId) => presenceRooms(sql, userId, settings.presence.roomEventsMaxMembers),
    accessTtlSeconds: settings.auth.accessTtlSeconds,
    refreshTtlSeconds: settings.auth.refreshTtlSeconds,
    publicWsUrl: settings.web?.publicWsUrl ?? null,
  };
  const app = await buildApp(settings.http, logger, deps, {
    registry: c.registry,
    browser: settings.web,
    rateLimits: { redis, keys, limits: settings.rateLimit },
  });
  return { app, deps, uploads, messaging, store, sessions };
}

/** The settings `startApi` needs: the wiring's, plus where Postgres and Redis are. */
export type ApiStartSettings = ApiSettings & Pick<ApiConfig, 'postgres' | 'redis'>;

/** What a running api holds besides its components. */
export interface RunningApi extends ComposedApi {
  /** The api's own Postgres pool. */
  sql: Sql;
  /** The api's own Redis connection. */
  redis: RedisClient;
  keys: RedisKeys;
  /**
   * Closes the HTTP app (in-flight requests finish), stops the background
   * work and closes the connections.
   */
  stop(): Promise<void>;
}

/**
 * The api as it runs: pending migrations (when enabled), its own Postgres
 * pool and Redis connection, the wiring, then the background work (the
 * partition epoch check, the periodic clean-up of expired uploads).
 * Listening is the caller's: main.ts listens, tests inject.
 */
export async function startApi(
  settings: ApiStartSettings,
  runtime: Pick<ApiConnections, 'logger' | 'registry' | 'signingKeys'>,
): Promise<RunningApi> {
  const { logger } = runtime;
  if (settings.postgres.migrate) await migrate(settings.postgres.url, logger);
  const sql = await connectPostgres(settings.postgres, logger, 'parley-api');
  let redis: RedisClient | undefined;
  try {
    redis = await connectRedis(settings.redis, logger, 'parley-api', { autoPipelining: true });
    await checkEvictionPolicy(redis, settings.redis.evictionCheck, logger);
    const keys = redisKeys(settings.redis.keyPrefix);
    const composed = await composeApi({ ...runtime, sql, redis, keys }, settings);
    const { app, uploads, messaging } = composed;
    await messaging.epochs.start(settings.redis.epochCheckMs);
    const cleanUpTimer = setInterval(
      () => void uploads.cleanUp().catch((err: unknown) => logger.warn({ err }, 'expired upload clean-up failed')),
      Math.min(settings.uploads.expireAfterMs, 3_600_000),
    );
    cleanUpTimer.unref();
    const connection = redis;
    return {
      ...composed,
      sql,
      redis: connection,
      keys,
      async stop() {
        await app.close();
        clearInterval(cleanUpTimer);
        messaging.epochs.stop();
        uploads.close();
        await Promise.allSettled([sql.end({ timeout: 5 }), connection.quit()]);
      },
    };
  } catch (err) {
    // A half-started api must not keep the process (or a test run) alive.
    redis?.disconnect();
    await sql.end({ timeout: 5 });
    throw err;
  }
}
