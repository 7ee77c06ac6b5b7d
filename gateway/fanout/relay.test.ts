/**
 * RoomRelay over real Redis pub/sub and the real message path: a room's
 * messages reach its topic in seq order with nothing missing, whatever
 * pub/sub lost, or the loss is announced with the exact range.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createTestRedis, type TestRedis } from '../../testkit/redis.js';
import { createTestDatabase, type TestDatabase } from '../../testkit/postgres.js';
import { testLogger } from '../../testkit/logger.js';
import { testMessaging } from '../../testkit/messaging.js';
import { RedisBus } from '../../shared/broker/redis-bus.js';
import type { Messaging } from '../../shared/broker/wiring.js';
import type { ServerFrame } from '../../shared/protocol/frames.js';
import { eventually } from '../../testkit/processes.js';
import { createGatewayMetrics, type GatewayMetrics } from '../metrics.js';
import { CatchUps } from './catch-up.js';
import { RoomRelay } from './relay.js';
import { RoomSubscriptions } from './subscriptions.js';

/** What a room's topic received: message seqs, and gaps as [from, to]. */
type Seen = (number | [number, number])[];

describe('RoomRelay', () => {
  let r: TestRedis;
  let db: TestDatabase;
  let m: Messaging & { keys: ReturnType<typeof testMessaging>['keys'] };
  let sub: Redis;
  let bus: RedisBus;
  let relay: RoomRelay;
  let rooms: RoomSubscriptions;
  let metrics: GatewayMetrics;
  const topics = new Map<string, Seen>();
  const author = { id: crypto.randomUUID(), username: 'alice' };
  let n = 0;

  const seen = (room: string) => topics.get(room) ?? [];
  const publish = async (room: string, count: number, floor?: number) => {
    const seqs = [];
    for (let i = 0; i < count; i++) seqs.push((await m.publisher.publish({ room, author, cmid: `c${++n}`, kind: 'text', body: 'x', floor })).seq);
    return seqs;
  };
  const until = (room: string, expected: Seen) =>
    eventually(`room topic to have ${JSON.stringify(expected)}`, () => (JSON.stringify(seen(room)) === JSON.stringify(expected) ? true : undefined));
  const held: string[] = [];
  const newRoom = async () => {
    const [row] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'r') returning id`;
    await rooms.acquire(row!.id);
    held.push(row!.id);
    return row!.id;
  };
  /**
   * What a failover to a replica that had only the first `kept` writes of the
   * room leaves: the counter, and a log that never had the later entries.
   */
  const rollBack = async (room: string, kept: number) => {
    const entries = (await r.redis.xrange(m.keys.roomLog(room), '-', `${kept}-0`)) as [string, string[]][];
    await r.redis.del(m.keys.roomLog(room));
    for (const [id, fields] of entries) await r.redis.xadd(m.keys.roomLog(room), id, ...fields);
    await r.redis.hset(m.keys.roomCounter(room), 'n', kept);
  };

  before(async () => {
    r = await createTestRedis();
    db = await createTestDatabase();
    m = testMessaging(r, db, { streams: { persistMaxBacklog: 100 } });
    metrics = createGatewayMetrics(new Registry());
    sub = new Redis(r.config.url, { connectionName: 'relay-test-sub' });
    bus = new RedisBus(sub, r.redis, m.keys, testLogger());
    relay = new RoomRelay({
      roomLog: m.roomLog,
      broadcast: (room, frame: ServerFrame) => {
        const list = topics.get(room) ?? [];
        topics.set(room, list);
        if (frame.type === 'message') list.push(frame.seq);
        if (frame.type === 'gap') list.push([frame.missing.from, frame.missing.to]);
      },
      catchUps: new CatchUps(),
      bump: (partition, seen, why) => m.epochs.bump(partition, seen, why),
      metrics,
      logger: testLogger(),
      maxPending: 1000,
      retryMs: 10,
    });
    rooms = new RoomSubscriptions(bus, { opening: (room) => relay.open(room), live: (room) => relay.live(room), closed: (room) => relay.close(room) }, testLogger(), metrics);
    bus.onMessage((message, epoch) => relay.receive(message, epoch));
    bus.onResync(() => relay.resync('resync'));
    await bus.start();
  });
  after(async () => {
    // A relayed room keeps retrying its repairs until it is released.
    for (const room of held) rooms.release(room);
    sub.disconnect();
    await r.cleanup();
    await db.drop();
  });

  test('messages pub/sub never delivered are read from the log and delivered first, in order', async () => {
    const room = await newRoom();
    await publish(room, 2);
    await until(room, [1, 2]);
    // Pub/sub loses 3..5 for this gateway (its subscription is gone meanwhile), then 6 arrives.
    await bus.unsubscribe(room);
    await publish(room, 3);
    await bus.subscribe(room);
    await publish(room, 1);
    await until(room, [1, 2, 3, 4, 5, 6]);
    assert.equal(relay.delivered(room), 6);
  });

  test('a room released while it was still opening leaves nothing behind (no relay state, no Redis subscription)', async () => {
    const [row] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'r') returning id`;
    const room = row!.id;
    const before = relay.size;
    const acquired = rooms.acquire(room);
    rooms.release(room);
    await acquired;
    await sub.ping();
    assert.equal(relay.size, before);
    const [, subscribers] = (await r.redis.pubsub('SHARDNUMSUB', m.keys.roomChannel(room))) as [string, number];
    assert.equal(Number(subscribers), 0);
  });

  test('a subscriber link that drops is repaired on reconnect, including a tail no later message reveals', async () => {
    const room = await newRoom();
    await publish(room, 1);
    await until(room, [1]);
    const [id] = String(await r.redis.client('LIST'))
      .split('\n')
      .filter((l) => l.includes('name=relay-test-sub'))
      .map((l) => /id=(\d+)/.exec(l)![1]);
    await r.redis.client('KILL', 'ID', id!);
    // Published while the link is down; nothing is published after them.
    await publish(room, 4);
    await until(room, [1, 2, 3, 4, 5]);
  });

  test('what the log no longer holds is announced once, with its exact range, and delivery goes on', async () => {
    const room = await newRoom();
    await publish(room, 1);
    await until(room, [1]);
    await bus.unsubscribe(room);
    await publish(room, 5);
    // 2..4 are trimmed away before the gateway could read them.
    await r.redis.xtrim(m.keys.roomLog(room), 'MINID', '5-0');
    await bus.subscribe(room);
    await publish(room, 1);
    await until(room, [1, [2, 4], 5, 6, 7]);
    await publish(room, 1);
    await until(room, [1, [2, 4], 5, 6, 7, 8]);
  });

  test('after Redis lost its data, the reseeded room announces the skipped range at once, and goes on past it', async () => {
    const room = await newRoom();
    await publish(room, 3);
    await until(room, [1, 2, 3]);
    // Nothing was persisted: 1..3 are lost with Redis. The epoch watcher notices and the relay repairs.
    await r.wipe();
    m.epochs.onChange((partition) => relay.resync('epoch', partition));
    await m.epochs.check();
    // Up to PERSIST_MAX_BACKLOG (100) acked messages past what Postgres (0) and
    // this gateway (3) knew may have been lost: the room skips to 103.
    await until(room, [1, 2, 3, [4, 103]]);
    assert.deepEqual(await publish(room, 1), [104]);
    await until(room, [1, 2, 3, [4, 103], 104]);
    // History reports the whole range as lost: 1..3 were never persisted.
    assert.deepEqual(await m.ledger.gaps(room, 1, 1000), [{ from: 1, to: 103 }]);
  });

  test('a seq seen twice (a counter gone backwards) replaces the epoch; the room is reseeded and nothing is reused again', async () => {
    const room = await newRoom();
    await publish(room, 5);
    await until(room, [1, 2, 3, 4, 5]);
    const before = await r.redis.get(m.keys.epochOfRoom(room));
    // A failover to a replica that had only 3 of the 5 writes; a publisher that never saw 4 and 5 reuses 4.
    await rollBack(room, 3);
    assert.deepEqual(await publish(room, 1), [4]);
    await eventually('the epoch to be replaced', async () => ((await r.redis.get(m.keys.epochOfRoom(room))) !== before ? true : undefined));
    await until(room, [1, 2, 3, 4, 5, [6, 105]]);
    assert.ok((await metrics.seqRegressions.get()).values[0]!.value >= 1);
    assert.deepEqual(await publish(room, 1), [106]);
    // Redis still held 1..4 (the new 4 among them); 5..105 may be lost.
    assert.deepEqual(await m.ledger.gaps(room, 1, 1000), [{ from: 5, to: 105 }]);
  });
});
