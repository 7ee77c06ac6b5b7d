/**
 * Rate limits, typing indicators and announcement delivery on real gateways.
 * Limits are set small through the environment, as an operator would.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedis, type RedisClient } from '../shared/redis/connect.js';
import { GLOBAL_ROOM_ID, type TokenResponse } from '../shared/http/schemas.js';
import { ERRORS } from '../shared/errors.js';
import { redisKeys } from '../shared/redis/keys.js';
import { publishControl } from '../shared/broker/redis-bus.js';
import type { ParleySocket } from '../shared/client/socket.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

describe('limits, typing and announcements on the gateway', () => {
  let c: Cluster;
  let redis: RedisClient;
  let n = 0;
  const open = async (gateway: number, user: TokenResponse) => {
    const ws = await c.connect(gateway, user.accessToken);
    await ws.next('welcome');
    return ws;
  };
  const send = (ws: ParleySocket, count: number) =>
    Array.from({ length: count }, () => {
      const ref = `p${++n}`;
      ws.send({ type: 'publish', ref, room: GLOBAL_ROOM_ID, cmid: ref, body: `hello ${ref}` });
      return ref;
    });

  before(async () => {
    c = await startCluster({
      gateways: 2,
      env: {
        GATEWAY_PUBLISH_RATE_PER_CONNECTION: '0.5',
        GATEWAY_PUBLISH_BURST_PER_CONNECTION: '3',
        GATEWAY_PUBLISH_RATE_PER_USER: '0.5',
        GATEWAY_PUBLISH_BURST_PER_USER: '4',
        GATEWAY_TYPING_RATE_PER_CONNECTION: '0.5',
        GATEWAY_TYPING_BURST_PER_CONNECTION: '2',
        GATEWAY_TYPING_TTL_MS: '4000',
        GATEWAY_ABUSE_REJECTIONS: '6',
      },
    });
    redis = createRedis(c.redis.config.topology);
  });
  after(async () => {
    redis?.disconnect();
    await c?.stop();
  });

  test('a socket over its publish bucket gets rate_limited with a retry-after, and is closed with 1008 if it keeps going', async () => {
    const ws = await open(0, await c.user('carol'));
    const refs = send(ws, 4);
    const replies = await Promise.all(refs.map((r) => ws.reply(r)));
    assert.deepEqual(replies.map((r) => r.type), ['ack', 'ack', 'ack', 'error']);
    const refused = replies[3]!;
    assert.ok(refused.type === 'error' && refused.code === 'rate_limited' && refused.retryable);
    assert.ok(refused.type === 'error' && refused.retryAfterMs! > 0);
    send(ws, 10);
    const closed = await ws.closed;
    assert.equal(closed.code, ERRORS.rate_limit_abuse.close);
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'rate limit abuse');
    assert.ok(ws.frames.some((f) => f.type === 'error' && f.code === 'rate_limit_abuse'), 'the close is explained first');
  });

  test('the per-user bucket is shared by the user\'s sockets', async () => {
    const dave = await c.user('dave');
    const [a, b] = [await open(1, dave), await open(1, dave)];
    const fromA = await Promise.all(send(a, 3).map((r) => a.reply(r)));
    assert.deepEqual(fromA.map((r) => r.type), ['ack', 'ack', 'ack']);
    const fromB = await Promise.all(send(b, 2).map((r) => b.reply(r)));
    assert.deepEqual(fromB.map((r) => r.type), ['ack', 'error'], 'the fifth publish of the user exceeds the user burst of 4');
    await Promise.all([a.close(), b.close()]);
  });

  test('typing reaches members on every gateway once per user, expires on its own, and is rate-limited', async () => {
    const [erin, frank] = [await c.user('erin'), await c.user('frank')];
    const phone = await open(0, erin);
    const laptop = await open(1, erin);
    const watcher = await open(1, frank);

    phone.send({ type: 'typing', ref: 't1', room: GLOBAL_ROOM_ID });
    assert.equal((await phone.reply('t1')).type, 'pong');
    const shown = await watcher.next('typing', (t) => t.user.id === erin.user.id);
    assert.deepEqual({ room: shown.room, expiresInMs: shown.expiresInMs }, { room: GLOBAL_ROOM_ID, expiresInMs: 4000 });

    // The same user typing on a second device within the window announces nothing new.
    laptop.send({ type: 'typing', ref: 't2', room: GLOBAL_ROOM_ID });
    assert.equal((await laptop.reply('t2')).type, 'pong');
    // Fence: a message published after the second typing was handled arrives after anything it published.
    const [fenceRef] = send(watcher, 1);
    const fence = await watcher.reply(fenceRef!);
    assert.equal(fence.type, 'ack');
    await watcher.next('message', (m) => fence.type === 'ack' && m.id === fence.id);
    assert.equal(watcher.frames.filter((f) => f.type === 'typing' && f.user.id === erin.user.id).length, 1);

    phone.send({ type: 'typing', ref: 't3', room: GLOBAL_ROOM_ID });
    assert.equal((await phone.reply('t3')).type, 'pong');
    phone.send({ type: 'typing', ref: 't4', room: GLOBAL_ROOM_ID });
    const limited = await phone.reply('t4');
    assert.ok(limited.type === 'error' && limited.code === 'rate_limited');

    phone.send({ type: 'typing', ref: 't5', room: crypto.randomUUID() });
    const stranger = await phone.reply('t5');
    assert.ok(stranger.type === 'error' && stranger.code === 'room_not_found');
    await Promise.all([phone.close(), laptop.close(), watcher.close()]);
  });

  test('announcements reach every connected socket live, and new sockets get the latest after welcome', async () => {
    const grace = await c.user('grace');
    const [one, two] = [await open(0, grace), await open(1, grace)];
    const keys = redisKeys(c.redis.config.keyPrefix);
    const announcement = {
      id: crypto.randomUUID(),
      author: { id: grace.user.id, username: 'grace' },
      body: 'maintenance tonight',
      createdAt: new Date().toISOString(),
    };
    // What the api does after storing it: keep it in the latest list, then announce it.
    await redis.lpush(keys.latestAnnouncements(), JSON.stringify(announcement));
    await publishControl(redis, keys, { type: 'announcement', ...announcement });
    for (const ws of [one, two]) {
      const got = await ws.next('announcement');
      assert.deepEqual({ ...got, type: undefined }, { ...announcement, type: undefined });
    }
    const later = await c.connect(0, grace.accessToken);
    await later.next('welcome');
    assert.equal((await later.next('announcement')).body, 'maintenance tonight');
    await Promise.all([one.close(), two.close(), later.close()]);
  });
});
