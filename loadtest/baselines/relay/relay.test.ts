/** The relay baseline: two real relay processes over the local Redis, driven through its TargetClient. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { TEST_REDIS_URL } from '../../../testkit/redis.js';
import type { BaselineServer } from '../launch.js';
import { checkFanOut } from '../testing.js';
import { relayClient, startRelayTarget } from './target.js';

let server: BaselineServer;

before(async () => {
  server = await startRelayTarget({ redisUrl: TEST_REDIS_URL });
});

after(async () => {
  await server?.stop().catch(() => undefined);
});

test('processes: two relays, both holding sockets', () => {
  const procs = server.processes();
  assert.deepEqual(
    procs.map((p) => [p.name, p.holdsSockets]),
    [
      ['relay-1', true],
      ['relay-2', true],
    ],
  );
  assert.ok(procs.every((p) => p.pid > 0));
});

test('every socket in a room gets each message exactly once, across both processes; other rooms get nothing', async () => {
  await checkFanOut(server, relayClient);
});

test('compression is off, as in parley: an offered permessage-deflate is declined', async () => {
  const ws = new WebSocket(`${server.endpoints[0]}/?rooms=x`, { perMessageDeflate: true });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  assert.equal(ws.extensions, '');
  ws.close();
});

test('a frame that is not {room, body} closes the socket with 1007', async () => {
  const ws = new WebSocket(`${server.endpoints[1]}/?rooms=x`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  ws.send('{"room":1}');
  assert.equal(await closed, 1007);
});

test('SIGTERM: open sockets are closed with 1001 and both processes exit with code 0', async () => {
  const sockets = server.endpoints.map((endpoint) => new WebSocket(`${endpoint}/?rooms=x`));
  const closes = sockets.map((ws) => new Promise<number>((resolve) => ws.once('close', resolve)));
  await Promise.all(sockets.map((ws) => new Promise((resolve, reject) => ws.once('message', resolve).once('error', reject))));
  await server.stop();
  assert.deepEqual(await Promise.all(closes), [1001, 1001]);
});
