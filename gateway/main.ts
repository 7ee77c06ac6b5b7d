/** The gateway service: wiring only. */
import { createRemoteJWKSet } from 'jose';
import { connectPostgres } from '../shared/db/connect.js';
import { migrate } from '../shared/db/migrate.js';
import { createLogger } from '../shared/log.js';
import { createRegistry } from '../shared/metrics.js';
import { startOpsServer } from '../shared/ops-server.js';
import { installCrashLogging, onShutdown, runMain } from '../shared/process.js';
import { connectRedis } from '../shared/redis/connect.js';
import { redisKeys } from '../shared/redis/keys.js';
import { registerScripts } from '../shared/redis/scripts.js';
import { RedisBus } from '../shared/broker/redis-bus.js';
import { RedisPublisher } from '../shared/broker/redis-publisher.js';
import { RedisRoomLog } from '../shared/broker/redis-room-log.js';
import { latestAnnouncements } from '../shared/broker/announcements.js';
import { createAccessVerifier, redisRevocationCheck } from '../shared/auth/verify.js';
import { PgMessageStore } from '../shared/store/pg-message-store.js';
import { loadGatewayConfig } from './config.js';
import { createGatewayMetrics } from './metrics.js';
import { pgRoomsOf, pgRoomsOfUsers } from './membership.js';
import { createGateway } from './server.js';
import { randomUUID } from 'node:crypto';
import { RedisPresence } from '../shared/presence/redis-presence.js';
import { presenceAudience } from '../shared/presence/rooms.js';
import { GatewayPresence } from './presence.js';

runMain(async () => {
  const config = loadGatewayConfig();
  const logger = createLogger(config.log, 'gateway');
  installCrashLogging(logger);

  if (config.postgres.migrate) await migrate(config.postgres.url, logger);
  const sql = await connectPostgres(config.postgres, logger, 'parley-gateway');
  const redis = await connectRedis(config.redis, logger, 'parley-gateway');
  const subscriber = await connectRedis(config.redis, logger, 'parley-gateway-sub');
  const keys = redisKeys(config.redis.keyPrefix);
  const isRevoked = redisRevocationCheck(redis, keys.revokedSession);
  const store = new PgMessageStore(sql);

  const bus = new RedisBus(subscriber, redis, keys, logger);
  await bus.start();

  const registry = createRegistry('gateway');
  // A fresh id per process: a restarted gateway never revives its predecessor's presence entries.
  const gatewayPresence = new GatewayPresence({
    presence: new RedisPresence(redis, registerScripts(redis), keys),
    gatewayId: randomUUID(),
    config: config.presence,
    audience: (userId) => presenceAudience(sql, userId, config.presence.roomEventsMaxMembers),
    publish: (event) => bus.publish(event),
    localSockets: () => gateway.socketUserIds(),
    logger,
  });
  const gateway = createGateway({
    presence: gatewayPresence,
    config: config.socket,
    logger,
    metrics: createGatewayMetrics(registry),
    verify: createAccessVerifier({
      keys: createRemoteJWKSet(new URL(config.auth.jwksUrl), {
        cacheMaxAge: config.auth.jwksCacheMaxAgeMs,
        cooldownDuration: config.auth.jwksCooldownMs,
      }),
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      isRevoked,
    }),
    isRevoked,
    roomsOf: pgRoomsOf(sql),
    roomsOfUsers: pgRoomsOfUsers(sql),
    bus,
    roomLog: new RedisRoomLog(redis, keys),
    latestAnnouncements: () => latestAnnouncements(redis, keys),
    publisher: new RedisPublisher({
      scripts: registerScripts(redis),
      keys,
      config: config.streams,
      persistedMaxSeq: (room) => store.maxSeq(room),
    }),
  });

  let ready = false;
  const ops = await startOpsServer(config.ops, { registry, logger, ready: () => ready });
  await gatewayPresence.start();
  const port = await gateway.listen();
  ready = true;
  logger.info({ url: `ws://${config.socket.host}:${port}/v1/ws` }, 'gateway listening');

  onShutdown(logger, config.socket.drainTimeoutMs + 5_000, async () => {
    ready = false;
    await gateway.drain();
    await gatewayPresence.stop().catch((err: unknown) => logger.warn({ err }, 'presence leave failed'));
    subscriber.disconnect();
    await Promise.allSettled([redis.quit(), sql.end({ timeout: 5 }), ops.close()]);
  });
});
