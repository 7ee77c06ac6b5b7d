/** RedisBus over real Redis pub/sub: room fan-out, control events, bad payloads, and resync after a lost connection. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createTestRedis, type TestRedis } from '../../testkit/redis.js';
import { testLogger } from '../../testkit/logger.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { createTestDatabase, type TestDatabase } from '../../testkit/postgres.js';
import { testMessaging } from '../../testkit/messaging.js';
import { eventually } from '../../testkit/processes.js';
import { RedisBus } from './redis-bus.js';
import type { ChatMessage, FileRef } from '../protocol/frames.js';
import { decodeServerFrame, encodeServerFrame } from '../protocol/codec.js';
import type { ControlEvent } from './control.js';

describe('RedisBus', () => {
  let r: TestRedis;
  let db: TestDatabase;
  let keys: RedisKeys;
  let sub: Redis;
  let bus: RedisBus;
  const messages: ChatMessage[] = [];
  const events: ControlEvent[] = [];
  const revoked = (id: string) => events.some((e) => e.type === 'session_revoked' && e.sessionId === id);
  let resyncs = 0;
  /** A room subscribed before the connection drops, and its subscriber count as seen at each resync. */
  const watched = crypto.randomUUID();
  const numsubAtResync: Promise<unknown>[] = [];

  before(async () => {
    r = await createTestRedis();
    db = await createTestDatabase();
    keys = redisKeys(r.config.keyPrefix);
    sub = new Redis(r.config.url, { connectionName: 'bus-test-sub' });
    bus = new RedisBus(sub, r.redis, keys, testLogger());
    bus.onMessage((m) => messages.push(m));
    bus.onEvent((e) => events.push(e));
    bus.onResync(() => {
      resyncs++;
      numsubAtResync.push(r.redis.pubsub('SHARDNUMSUB', keys.roomChannel(watched)));
    });
    await bus.start();
  });
  after(async () => {
    sub.disconnect();
    await r.cleanup();
    await db.drop();
  });

  test('(un)subscriptions of one turn are sent together and applied in the order asked', async () => {
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await Promise.all([bus.subscribe(a), bus.subscribe(b), bus.unsubscribe(a), bus.subscribe(c), bus.subscribe(a), bus.unsubscribe(c)]);
    const counts = (await r.redis.pubsub('SHARDNUMSUB', keys.roomChannel(a), keys.roomChannel(b), keys.roomChannel(c))) as (string | number)[];
    assert.deepEqual(counts.filter((_, i) => i % 2 === 1).map(Number), [1, 1, 0]);
    await Promise.all([bus.unsubscribe(a), bus.unsubscribe(b)]);
  });

  test('delivers a subscribed room\'s messages in seq order, and stops after unsubscribe', async () => {
    const room = crypto.randomUUID();
    await bus.subscribe(room);
    const { publisher } = testMessaging(r, db);
    const author = { id: crypto.randomUUID(), username: 'alice' };
    for (let i = 0; i < 20; i++) await publisher.publish({ room, author, cmid: `m${i}`, kind: 'text', body: `#${i}` });
    const got = await eventually('20 messages', () => (messages.filter((m) => m.room === room).length === 20 ? true : undefined));
    assert.ok(got);
    assert.deepEqual(
      messages.filter((m) => m.room === room).map((m) => m.seq),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    await bus.unsubscribe(room);
    await publisher.publish({ room, author, cmid: 'late', kind: 'text', body: 'late' });
    // A control event published after the late message arrives after it would have, on the same connection.
    await bus.publish({ type: 'session_revoked', sessionId: 'fence', reason: 'test' });
    await eventually('the fence event', () => (revoked('fence') ? true : undefined));
    assert.equal(messages.some((m) => m.cmid === 'late'), false);
  });

  test('a file message is delivered with its file, and makes a valid message frame; a text one has no file', async () => {
    const room = crypto.randomUUID();
    await bus.subscribe(room);
    const { publisher } = testMessaging(r, db);
    const author = { id: crypto.randomUUID(), username: 'alice' };
    const file: FileRef = { id: crypto.randomUUID(), name: 'photo ✓.png', size: 2048, contentType: 'image/png' };
    await publisher.publish({ room, author, cmid: 'f', kind: 'file', body: 'caption', file });
    await publisher.publish({ room, author, cmid: 't', kind: 'text', body: 'plain' });
    await eventually('2 messages', () => (messages.filter((m) => m.room === room).length === 2 ? true : undefined));
    const [fileMessage, textMessage] = messages.filter((m) => m.room === room);
    assert.equal(fileMessage?.kind, 'file');
    assert.deepEqual(fileMessage?.file, file);
    assert.equal(textMessage?.kind, 'text');
    assert.equal('file' in textMessage!, false);
    // What the gateway relays: the frame passes the client-side codec with the file intact.
    for (const m of [fileMessage!, textMessage!]) {
      const decoded = decodeServerFrame(encodeServerFrame({ type: 'message', ...m }));
      assert.ok(decoded.ok, JSON.stringify(decoded));
      assert.deepEqual(decoded.frame, { type: 'message', ...m });
    }
    await bus.unsubscribe(room);
  });

  test('undecodable payloads are dropped without affecting later ones', async () => {
    const room = crypto.randomUUID();
    await bus.subscribe(room);
    await r.redis.spublish(keys.roomChannel(room), 'not json');
    await r.redis.spublish(keys.controlChannel(), '{"type":"unknown"}');
    await bus.publish({ type: 'session_revoked', sessionId: 'after-garbage', reason: 'test' });
    await eventually('the event after garbage', () => (revoked('after-garbage') ? true : undefined));
    assert.ok(events.every((e) => e.type === 'session_revoked'), 'the undecodable event was dropped');
  });

  test('a dropped subscriber connection resubscribes and reports a resync, once the subscriptions are back in effect', async () => {
    await bus.subscribe(watched);
    const before = resyncs;
    const [id] = ((await r.redis.client('LIST')) as string)
      .split('\n')
      .filter((l) => l.includes('name=bus-test-sub'))
      .map((l) => /id=(\d+)/.exec(l)![1]);
    await r.redis.client('KILL', 'ID', id!);
    await eventually('a resync', () => (resyncs > before ? true : undefined));
    // A repair started from onResync reads the room logs: nothing published after that read may be lost.
    assert.deepEqual(await numsubAtResync.at(-1), [keys.roomChannel(watched), 1]);
    await bus.publish({ type: 'session_revoked', sessionId: 'after-reconnect', reason: 'test' });
    await eventually('control events after the reconnect', () => (revoked('after-reconnect') ? true : undefined));
  });
});
