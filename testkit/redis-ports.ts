/**
 * The Redis-backed ports wired as a service wires them, on a test's key
 * prefix and database: connections from connectRedis (the command one
 * auto-pipelined, as a gateway's), the message path from createMessaging,
 * and RedisBus instances on subscriber connections of their own, each
 * recording what it receives. For the port contract suites
 * (shared/broker/redis-ports.contract.ts), on any topology.
 */
import { Registry } from 'prom-client';
import { createMessaging, type Messaging } from '../shared/broker/wiring.js';
import { RedisBus } from '../shared/broker/redis-bus.js';
import type { ControlEvent } from '../shared/broker/control.js';
import type { TypingSignal } from '../shared/ports.js';
import type { ChatMessage } from '../shared/protocol/frames.js';
import { connectRedis, isCluster, type RedisClient } from '../shared/redis/connect.js';
import { redisKeys, type RedisKeys } from '../shared/redis/keys.js';
import { testLogger } from './logger.js';
import { TEST_STREAMS } from './messaging.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import type { TestRedis } from './redis.js';

/** A RedisBus ("a gateway's") and everything it delivered, in arrival order. */
export interface RecordingBus {
  bus: RedisBus;
  messages: { message: ChatMessage; epoch: string | undefined }[];
  events: ControlEvent[];
  typing: TypingSignal[];
  probes: string[];
  resyncs: number;
  /** Called from the bus's resync handler, synchronously, after `resyncs` was counted. */
  atResync: (() => void) | undefined;
  /** The messages of `room` delivered so far, in arrival order. */
  of(room: string): ChatMessage[];
}

export interface WiredPorts {
  /** The command connection the message path and the buses publish on. */
  redis: RedisClient;
  keys: RedisKeys;
  messaging: Messaging;
  db: TestDatabase;
  /**
   * How many connections are subscribed to the sharded `channel` now. In a
   * Redis Cluster each primary answers for its own shard only (0 for the
   * others' channels), so the primaries' answers are summed.
   */
  subscribers(channel: string): Promise<number>;
  /** A new bus on a subscriber connection of its own, started (control channel subscribed); with `probe`, probing as that gateway id. */
  openBus(options?: { probe?: string }): Promise<RecordingBus>;
  /** Closes every bus and connection made here, and drops the database (not the key prefix: the harness owns it). */
  close(): Promise<void>;
}

export async function wireRedisPorts(r: TestRedis): Promise<WiredPorts> {
  const logger = testLogger();
  const db = await createTestDatabase();
  const connections: RedisClient[] = [];
  const buses: RedisBus[] = [];
  try {
    const redis = await connectRedis(r.config, logger, 'contract', { autoPipelining: true });
    connections.push(redis);
    const keys = redisKeys(r.config.keyPrefix);
    const messaging = createMessaging({ redis, sql: db.sql, keys, streams: TEST_STREAMS, logger, registry: new Registry() });
    return {
      redis,
      keys,
      messaging,
      db,
      async subscribers(channel) {
        const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
        const counts = await Promise.all(nodes.map(async (node) => ((await node.pubsub('SHARDNUMSUB', channel)) as [string, number])[1]));
        return counts.reduce((sum, n) => sum + Number(n), 0);
      },
      async openBus(options = {}) {
        const subscriber = await connectRedis(r.config, logger, `contract-sub-${buses.length}`);
        connections.push(subscriber);
        const bus = new RedisBus(subscriber, redis, keys, logger);
        buses.push(bus);
        const recorded: RecordingBus = {
          bus,
          messages: [],
          events: [],
          typing: [],
          probes: [],
          resyncs: 0,
          atResync: undefined,
          of: (room) => recorded.messages.filter((m) => m.message.room === room).map((m) => m.message),
        };
        bus.onMessage((message, epoch) => recorded.messages.push({ message, epoch }));
        bus.onEvent((event) => recorded.events.push(event));
        bus.onTyping((signal) => recorded.typing.push(signal));
        bus.onResync(() => {
          recorded.resyncs++;
          recorded.atResync?.();
        });
        await bus.start();
        if (options.probe !== undefined) await bus.startProbe(options.probe, (payload) => recorded.probes.push(payload));
        return recorded;
      },
      async close() {
        for (const bus of buses) bus.close();
        for (const c of connections) c.disconnect();
        await db.drop();
      },
    };
  } catch (err) {
    for (const c of connections) c.disconnect();
    await db.drop();
    throw err;
  }
}
