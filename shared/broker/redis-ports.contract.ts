/**
 * The Redis-backed ports (shared/ports.ts) as one contract suite, run
 * against every Redis topology parley supports: the broker (MessagePublisher,
 * RoomSubscriber, ControlBus, TypingPublisher), the room log (RoomLog) and
 * presence (Presence). Each test file gives a factory for a fresh key prefix
 * on its topology; the suites wire the real implementations on it the way
 * the services do (connectRedis, createMessaging, RedisBus, RedisPresence),
 * so a difference between topologies shows up as a failing contract.
 *
 * Rooms are picked to cover all partitions (testkit/partition-rooms.ts): in a
 * Redis Cluster the partitions' slots span every primary, so every shard's
 * keys, scripts and subscriber links are exercised.
 */
import type { TestRedis } from '../../testkit/redis.js';
import { brokerContract } from './broker.contract.js';
import { roomLogContract } from './room-log.contract.js';
import { presenceContract } from '../presence/presence.contract.js';

export interface RedisPortsHarness {
  /** A fresh key prefix on the topology under test (`config.topology` is what the services would be given). */
  redis: TestRedis;
  /** Releases what the factory made for this harness (at least `redis.cleanup()`). */
  cleanup(): Promise<void>;
}

export type RedisPortsFactory = () => Promise<RedisPortsHarness>;

/** Registers the broker, room log and presence suites for `name`; each suite makes its own harness. */
export function redisPortsContract(name: string, make: RedisPortsFactory): void {
  brokerContract(name, make);
  roomLogContract(name, make);
  presenceContract(name, make);
}
