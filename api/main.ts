/** The api service: wiring only. */
import { connectPostgres } from '../shared/db/connect.js';
import { migrate } from '../shared/db/migrate.js';
import { createLogger } from '../shared/log.js';
import { createRegistry } from '../shared/metrics.js';
import { startOpsServer } from '../shared/ops-server.js';
import { installCrashLogging, onShutdown, runMain } from '../shared/process.js';
import { connectRedis } from '../shared/redis/connect.js';
import { redisKeys } from '../shared/redis/keys.js';
import { publishControl } from '../shared/broker/redis-bus.js';
import { createAccessVerifier, redisRevocationCheck } from '../shared/auth/verify.js';
import { PgMessageStore } from '../shared/store/pg-message-store.js';
import { AnnotatedHistory } from '../shared/store/annotated-history.js';
import { MessageMutations } from './messages/mutations.js';
import { MergedHistory } from '../shared/store/merged-history.js';
import { loadApiConfig } from './config.js';
import { loadSigningKeys } from './auth/keys.js';
import { createTokenIssuer } from './auth/tokens.js';
import { Sessions } from './auth/sessions.js';
import { Users } from './users.js';
import { RoomRepository } from './rooms/repository.js';
import { RoomSeqs } from './rooms/seqs.js';
import { Announcements } from './announcements.js';
import { MessageSearch } from './search/messages.js';
import { buildApp } from './http/app.js';
import { createUploads } from './uploads/wiring.js';
import { RedisPresence } from '../shared/presence/redis-presence.js';
import { presenceRooms } from '../shared/presence/rooms.js';
import { registerScripts } from '../shared/redis/scripts.js';

runMain(async () => {
  const config = loadApiConfig();
  const logger = createLogger(config.log, 'api');
  installCrashLogging(logger);
  const signingKeys = await loadSigningKeys(config.auth.keysFile);

  if (config.postgres.migrate) await migrate(config.postgres.url, logger);
  const sql = await connectPostgres(config.postgres, logger, 'parley-api');
  const redis = await connectRedis(config.redis, logger, 'parley-api');
  const keys = redisKeys(config.redis.keyPrefix);

  const sessions = new Sessions({
    sql,
    redis,
    keys,
    publishControl: (event) => publishControl(redis, keys, event),
    issueAccessToken: createTokenIssuer(signingKeys, config.auth),
    config: config.auth,
    logger,
  });
  const verify = createAccessVerifier({
    keys: signingKeys.verifier,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    isRevoked: redisRevocationCheck(redis, keys.revokedSession),
  });

  const registry = createRegistry('api');
  const rooms = new RoomRepository(sql);
  const uploads = createUploads({
    config: config.uploads,
    streams: config.streams,
    sql,
    redis,
    keys,
    verify,
    rooms,
    logger,
    trustProxy: config.http.trustProxy,
  });
  const cleanUpTimer = setInterval(
    () => void uploads.cleanUp().catch((err: unknown) => logger.warn({ err }, 'expired upload clean-up failed')),
    Math.min(config.uploads.expireAfterMs, 3_600_000),
  );
  cleanUpTimer.unref();
  const app = await buildApp(config.http, logger, {
    users: new Users(sql),
    rooms,
    tus: uploads.tus,
    files: uploads.files,
    content: uploads.content,
    sessions,
    // Postgres plus the Redis room log, so an acked message is in history at once.
    history: new AnnotatedHistory(sql, new MergedHistory({ durable: new PgMessageStore(sql), redis, keys, logger })),
    messages: new MessageMutations(sql, redis, keys),
    maxMessageBytes: config.http.maxMessageBytes,
    search: new MessageSearch(sql),
    roomSeqs: new RoomSeqs({ sql, redis, keys }),
    announcements: new Announcements({ sql, redis, keys, keepLatest: config.announcements.keepLatest }),
    verify,
    signingKeys,
    publishControl: (event) => publishControl(redis, keys, event),
    presence: new RedisPresence(redis, registerScripts(redis), keys),
    presenceRooms: (userId) => presenceRooms(sql, userId, config.presence.roomEventsMaxMembers),
    accessTtlSeconds: config.auth.accessTtlSeconds,
    refreshTtlSeconds: config.auth.refreshTtlSeconds,
  }, registry);

  let ready = false;
  const ops = await startOpsServer(config.ops, { registry, logger, ready: () => ready });
  const address = await app.listen({ host: config.http.host, port: config.http.port });
  ready = true;
  logger.info({ address }, 'api listening');

  onShutdown(logger, 15_000, async () => {
    ready = false;
    await app.close();
    clearInterval(cleanUpTimer);
    uploads.close();
    await Promise.allSettled([sql.end({ timeout: 5 }), redis.quit(), ops.close()]);
  });
});
