/**
 * The Socket.IO baseline: two real Socket.IO processes with the Redis
 * adapter over the local Redis, driven through the hand-written client, so
 * the codec is proven against the real server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { eventually } from '../../../testkit/processes.js';
import { TEST_REDIS_URL } from '../../../testkit/redis.js';
import type { BaselineServer } from '../launch.js';
import { checkFanOut } from '../testing.js';
import { CONNECT_FRAME, PONG_FRAME, decodePacket, type Packet } from './codec.js';
import { socketIoClient, startSocketIoTarget } from './target.js';

/** Short enough that a socket which never answered would be closed long before PINGS pings. */
const HEARTBEAT = { SOCKETIO_PING_INTERVAL_MS: '100', SOCKETIO_PING_TIMEOUT_MS: '1000' };
const PINGS = 30;

let server: BaselineServer;

before(async () => {
  server = await startSocketIoTarget({ redisUrl: TEST_REDIS_URL, env: HEARTBEAT });
});

after(async () => {
  await server?.stop().catch(() => undefined);
});

/** A raw socket that records every packet and answers pings, for watching the server's side of the protocol. */
function spy(endpoint: string, rooms: string) {
  const ws = new WebSocket(`${endpoint}/socket.io/?EIO=4&transport=websocket&rooms=${rooms}`);
  const frames: string[] = [];
  const packets: Packet[] = [];
  ws.on('message', (data: Buffer) => {
    const frame = data.toString();
    const packet = decodePacket(frame);
    frames.push(frame);
    packets.push(packet);
    if (packet.type === 'open') ws.send(CONNECT_FRAME);
    if (packet.type === 'ping') ws.send(PONG_FRAME);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  return { ws, frames, packets, closed, count: (type: Packet['type']) => packets.filter((p) => p.type === type).length };
}

test('processes: two Socket.IO servers, both holding sockets', () => {
  assert.deepEqual(
    server.processes().map((p) => [p.name, p.holdsSockets]),
    [
      ['socketio-1', true],
      ['socketio-2', true],
    ],
  );
});

test('every socket in a room gets each message exactly once, across both processes; other rooms get nothing; acks arrive', async () => {
  await checkFanOut(server, socketIoClient);
});

test('the server speaks the packets the codec expects: open, then CONNECT with a sid', async () => {
  const s = spy(server.endpoints[0]!, 'x');
  await eventually('CONNECT', () => (s.count('connect') === 1 ? true : undefined));
  assert.match(s.frames[0]!, /^0\{"sid":"[^"]+".*"pingInterval":100,"pingTimeout":1000/);
  assert.match(s.frames[1]!, /^40\{"sid":"[^"]+"/);
  assert.deepEqual(s.packets.slice(0, 2), [{ type: 'open' }, { type: 'connect' }]);
  s.ws.close();
});

test('the client answers heartbeats: it stays connected through many pings and still works', async () => {
  const got: string[] = [];
  const closes: number[] = [];
  const socket = await socketIoClient.connect(
    { user: 'u0', rooms: ['hb'], endpoint: server.endpoints[1]! },
    { onDeliver: (room, body) => got.push(`${room}:${body}`), onClose: (code) => closes.push(code) },
  );
  const watch = spy(server.endpoints[1]!, 'other');
  await eventually(`${PINGS} pings`, () => (watch.count('ping') >= PINGS ? true : undefined), 30_000);
  assert.deepEqual(closes, [], 'still connected');
  let acked = false;
  socket.publish('hb', 'still here', 'hb-1', () => (acked = true));
  await eventually('delivery and ack', () => (acked && got.includes('hb:still here') ? true : undefined));
  socket.close();
  watch.ws.close();
  await eventually('close reported', () => (closes.length === 1 ? true : undefined));
});

test('compression is off: an offered permessage-deflate is declined', async () => {
  const ws = new WebSocket(`${server.endpoints[0]}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: true });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  assert.equal(ws.extensions, '');
  ws.close();
});

test('SIGTERM: open sockets are closed and both processes exit with code 0', async () => {
  const spies = server.endpoints.map((endpoint) => spy(endpoint, 'x'));
  await eventually('both connected', () => (spies.every((s) => s.count('connect') === 1) ? true : undefined));
  await server.stop();
  await Promise.all(spies.map((s) => s.closed));
});
