/**
 * The relay in this process over real Redis, for what the two-process test
 * cannot pin down: when the ready frame is sent, and that Redis holds exactly
 * the rooms that have local sockets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { freePort, eventually } from '../../../testkit/processes.js';
import { createTestRedis, type TestRedis } from '../../../testkit/redis.js';
import { testLogger } from '../../../testkit/logger.js';
import { RELAY_READY_FRAME } from '../frames.js';
import { createRelay, type Relay } from './server.js';

let redis: TestRedis;
let pub: Redis;
let sub: Redis;
let relay: Relay;
let url: string;
/** Channels whose SUBSCRIBE reaches Redis only when the test releases it. */
const held = new Map<string, () => void>();

before(async () => {
  redis = await createTestRedis();
  pub = new Redis(redis.config.url);
  sub = new Redis(redis.config.url);
  const subscribe = sub.subscribe.bind(sub);
  const gated = (channel: string) => {
    if (!channel.endsWith(':held')) return subscribe(channel);
    return new Promise<void>((resolve) => held.set(channel, resolve)).then(() => subscribe(channel));
  };
  sub.subscribe = gated as typeof sub.subscribe;
  const port = await freePort();
  url = `ws://127.0.0.1:${port}`;
  relay = createRelay(
    { redis: redis.config, listen: { host: '127.0.0.1', port }, socket: { maxPayloadBytes: 65_536, idleTimeoutSeconds: 120, maxBackpressureBytes: 1_048_576 } },
    { pub, sub, logger: testLogger() },
  );
  await relay.listen();
});

after(async () => {
  await relay.drain(1000);
  pub.disconnect();
  sub.disconnect();
  await redis.cleanup();
});

const roomChannels = async () => ((await redis.redis.pubsub('CHANNELS', `${redis.config.keyPrefix}room:*`)) as string[]).sort();

function connect(rooms: string): { ws: WebSocket; frames: string[]; opened: Promise<void> } {
  const ws = new WebSocket(`${url}/?rooms=${rooms}`);
  const frames: string[] = [];
  ws.on('message', (data: Buffer) => frames.push(data.toString()));
  const opened = new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  return { ws, frames, opened };
}

test('the ready frame waits for the Redis SUBSCRIBE of every room of the socket', async () => {
  const channel = `${redis.config.keyPrefix}room:held`;
  const client = connect('free,held');
  await client.opened;
  await eventually('the SUBSCRIBE to be requested', () => (held.has(channel) ? true : undefined));
  // uWS answers a ping after open and anything it queued then, so a ready sent too early is already here.
  client.ws.ping();
  await new Promise((resolve) => client.ws.once('pong', resolve));
  assert.deepEqual(client.frames, [], 'no ready while a room is not subscribed');
  assert.deepEqual(await roomChannels(), [`${redis.config.keyPrefix}room:free`]);

  held.get(channel)!();
  await eventually('the ready frame', () => (client.frames.length > 0 ? true : undefined));
  assert.deepEqual(client.frames, [RELAY_READY_FRAME]);
  assert.deepEqual(await roomChannels(), [`${redis.config.keyPrefix}room:free`, channel]);
  client.ws.close();
  await eventually('no room subscriptions left', async () => ((await roomChannels()).length === 0 ? true : undefined));
});

test('one Redis subscription per room with local sockets: taken by the first, dropped with the last', async () => {
  const first = connect('a');
  const second = connect('a,b');
  await eventually('both ready', () => (first.frames.length > 0 && second.frames.length > 0 ? true : undefined));
  const p = redis.config.keyPrefix;
  assert.deepEqual(await roomChannels(), [`${p}room:a`, `${p}room:b`]);
  second.ws.close();
  await eventually('room b dropped, room a kept', async () => ((await roomChannels()).join() === `${p}room:a` ? true : undefined));
  first.ws.close();
  await eventually('room a dropped', async () => ((await roomChannels()).length === 0 ? true : undefined));
});
