/**
 * The gateway's composition root: migrations, connections, components and
 * their wiring, built once from a config. main.ts runs what this returns.
 *
 * Shutdown order matters (`stop`): stop accepting, let publishes in flight
 * finish, close the sockets spread over a window, announce their users'
 * presence changes, and only then close Redis and Postgres, so that every
 * offline event goes out.
 */
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet } from 'jose';
import type { Registry } from 'prom-client';
import { connectPostgres } from '../shared/db/connect.js';
import { migrate } from '../shared/db/migrate.js';
import type { Logger } from '../shared/log.js';
import { checkEvictionPolicy, connectRedis } from '../shared/redis/connect.js';
import { redisKeys } from '../shared/redis/keys.js';
import { registerScripts } from '../shared/redis/scripts.js';
import { RedisBus } from '../shared/broker/redis-bus.js';
import { createMessaging } from '../shared/broker/wiring.js';
import { latestAnnouncements } from '../shared/broker/announcements.js';
import { createAccessVerifier, redisRevocationCheck } from '../shared/auth/verify.js';
import { RedisPresence } from '../shared/presence/redis-presence.js';
import { presenceAudience } from '../shared/presence/rooms.js';
import type { GatewayConfig } from './config.js';
import { createGatewayMetrics } from './metrics.js';
import { pgRoomsOf, pgRoomsOfUsers } from './membership.js';
import { Sender } from './connection.js';
import { SessionIndex } from './sessions.js';
import { RateLimits } from './rate-limits.js';
import { GatewayPresence } from './presence.js';
import { LiveMembership } from './live-membership.js';
import { CatchUps } from './fanout/catch-up.js';
import { RoomRelay } from './fanout/relay.js';
import { RoomSubscriptions } from './fanout/subscriptions.js';
import { createControlDispatcher } from './control/index.js';
import { onResync } from './control/resync.js';
import { createDispatcher } from './handlers/index.js';
import { FanoutProbe } from './probe.js';
import { Sockets } from './sockets.js';
import { Topics } from './topics.js';
import { Drain } from './drain.js';
import { createUpgrade } from './upgrade.js';
import { createServer } from './server.js';
import { createAdmission } from './admission.js';
import { createSocketIo } from './socketio/attach.js';
import { createShardedAdapter } from '@socket.io/redis-adapter';

export interface ComposedGateway {
  /** Takes the presence lease, starts the probe and epoch checks, then listens; resolves with the port. */
  start(): Promise<number>;
  /** Ready for traffic: started, not draining, and the fan-out probe passing. */
  ready(): boolean;
  /** Drains (see the module comment) and closes every connection. */
  stop(): Promise<void>;
}

export async function composeGateway(config: GatewayConfig, logger: Logger, registry: Registry): Promise<ComposedGateway> {
  if (config.postgres.migrate) await migrate(config.postgres.url, logger);
  const sql = await connectPostgres(config.postgres, logger, 'parley-gateway');
  const redis = await connectRedis(config.redis, logger, 'parley-gateway', { autoPipelining: true });
  const subscriber = await connectRedis(config.redis, logger, 'parley-gateway-sub');
  await checkEvictionPolicy(redis, config.redis.evictionCheck, logger);
  const keys = redisKeys(config.redis.keyPrefix);
  const metrics = createGatewayMetrics(registry);
  const messaging = createMessaging({ redis, sql, keys, streams: config.streams, logger, registry });
  const isRevoked = redisRevocationCheck(redis, keys.revokedSession);
  // A fresh id per process: a restarted gateway never revives its predecessor's presence entries.
  const gatewayId = randomUUID();

  const bus = new RedisBus(subscriber, redis, keys, logger);
  const sender = new Sender(metrics);
  const sessions = new SessionIndex();
  const topics = new Topics(metrics);
  const broadcast = topics.broadcast.bind(topics);
  const drain = new Drain();
  const catchUps = new CatchUps();
  const rateLimits = new RateLimits(config.socket, sender);
  const relay = new RoomRelay({
    roomLog: messaging.roomLog,
    broadcast,
    catchUps,
    bump: (partition, seen, why) => messaging.epochs.bump(partition, seen, why),
    metrics,
    logger,
    maxPending: config.fanout.repairMaxPending,
    retryMs: config.fanout.repairRetryMs,
  });
  const subscriptions = new RoomSubscriptions(
    bus,
    { opening: (room) => relay.open(room), live: (room) => relay.live(room), closed: (room) => relay.close(room) },
    logger,
    metrics,
  );
  const roomsOfUsers = pgRoomsOfUsers(sql);
  const membership = new LiveMembership({ subscriptions, sessions, sender, publishToRoom: broadcast, topics, roomsOfUsers, catchUps, logger });
  const presence = new GatewayPresence({
    presence: new RedisPresence(redis, registerScripts(redis), keys),
    gatewayId,
    config: config.presence,
    audience: (userId) => presenceAudience(sql, userId, config.presence.roomEventsMaxMembers),
    publish: (event) => bus.publish(event),
    localSockets: () => sessions.all().map((ws) => ws.getUserData().principal.userId),
    logger,
  });
  const sockets = new Sockets({
    config: config.socket,
    sender,
    sessions,
    rateLimits,
    presence,
    membership,
    metrics,
    logger,
    isRevoked,
    latestAnnouncements: () => latestAnnouncements(redis, keys),
  });
  const closeSession = sockets.closeSession.bind(sockets);

  bus.onMessage((message, epoch) => relay.receive(message, epoch));
  bus.onTyping((signal) => broadcast(signal.room, { type: 'typing', ...signal }));
  bus.onEvent(createControlDispatcher({ membership, broadcast, closeSession }));
  bus.onResync(() => onResync({ sessions, isRevoked, closeSession, membership, relay, logger }));
  messaging.epochs.onChange((partition) => relay.resync('epoch', partition));

  const probe = new FanoutProbe({
    config: { intervalMs: config.fanout.probeIntervalMs, timeoutMs: config.fanout.probeTimeoutMs, maxFailures: config.fanout.probeMaxFailures },
    send: (payload) => bus.sendProbe(payload),
    reconnect: () => bus.reconnectSubscriber(),
    metrics,
    logger,
  });

  const admission = createAdmission({
    maxConnections: config.socket.maxConnections,
    verify: createAccessVerifier({
      keys: createRemoteJWKSet(new URL(config.auth.jwksUrl), {
        cacheMaxAge: config.auth.jwksCacheMaxAgeMs,
        cooldownDuration: config.auth.jwksCooldownMs,
      }),
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      isRevoked,
    }),
    roomsOf: pgRoomsOf(sql, config.presence.roomEventsMaxMembers),
    metrics,
    draining: () => drain.draining,
    connections: () => sockets.size,
  });
  const dispatch = createDispatcher(
    {
      sender,
      publisher: messaging.publisher,
      roomLog: messaging.roomLog,
      roomLive: (room) => subscriptions.whenLive(room),
      topics,
      catchUps,
      relayed: (room) => relay.delivered(room) ?? 0,
      confirmRoom: (ws, room) => membership.confirm(ws, room),
      rateLimits,
      typing: bus,
      metrics,
      limits: config.socket,
      accepting: () => !drain.draining,
      track: (work) => drain.track(work),
    },
    logger,
  );
  // Socket.IO's own cross-gateway traffic (see socketio/attach.ts) on a subscriber connection of its own.
  const sioSubscriber = config.socketio.enabled ? await connectRedis(config.redis, logger, 'parley-gateway-sio') : null;
  const socketIo = sioSubscriber
    ? createSocketIo({
        config: config.socketio,
        limits: config.socket,
        admission,
        sockets,
        sender,
        topics,
        metrics,
        logger,
        dispatch,
        draining: () => drain.draining,
        adapter: createShardedAdapter(redis, sioSubscriber, { channelPrefix: keys.socketIoChannel(), subscriptionMode: 'static' }),
      })
    : null;

  const server = createServer({
    config: config.socket,
    logger,
    metrics,
    sender,
    topics,
    drain,
    sockets,
    socketIo,
    upgrade: createUpgrade({ admission, logger }),
    dispatch,
  });

  let started = false;
  return {
    async start() {
      await bus.start();
      await bus.startProbe(gatewayId, (payload) => probe.received(payload));
      await messaging.epochs.start(config.redis.epochCheckMs);
      await presence.start();
      probe.start();
      const port = await server.listen();
      started = true;
      return port;
    },
    ready: () => started && !drain.draining && probe.healthy,
    async stop() {
      drain.start();
      server.stopListening();
      await drain.settled(config.socket.drainTimeoutMs);
      const closing = sockets.size;
      await sockets.closeAll();
      await socketIo?.close();
      probe.stop();
      // Every socket's disconnect is registered and announced, then the lease is left.
      await presence.stop().catch((err: unknown) => logger.warn({ err }, 'presence leave failed'));
      logger.info({ closed: closing }, 'gateway drained');
      messaging.epochs.stop();
      // The bus's current subscriber client (it may have replaced the first one).
      bus.close();
      sioSubscriber?.disconnect();
      await Promise.allSettled([redis.quit(), sql.end({ timeout: 5 })]);
    },
  };
}
