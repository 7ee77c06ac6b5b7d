/**
 * The Socket.IO transport end to end: socket.io-client over WebSocket and
 * over long-polling, beside raw clients, in the same rooms across two
 * gateways (see gateway/socketio/attach.ts and docs/protocol.md).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { SocketIoRefused } from '../shared/client/sio-socket.js';

describe('Socket.IO transport', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ gateways: 2 });
  });
  after(async () => {
    await c?.stop();
  });

  test('smoke: connect, welcome, publish with ack', async () => {
    const alice = await c.user('sio-alice');
    const room = await c.publicRoom('sio-smoke', alice);
    for (const transports of [['websocket'], ['polling']] as const) {
      const s = await c.connectSocketIo(0, alice.accessToken, { transports: [...transports] });
      const welcome = await s.next('welcome');
      assert.ok(welcome.rooms.includes(room));
      const reply = await s.request({ type: 'publish', room, cmid: `smoke-${transports[0]}`, body: 'hi' });
      assert.equal(reply.type, 'ack', JSON.stringify(reply));
      const msg = await s.next('message', (m) => m.cmid === `smoke-${transports[0]}`);
      assert.equal(msg.body, 'hi');
      await s.close();
    }
    await assert.rejects(c.connectSocketIo(0, 'nope'), (err: unknown) => err instanceof SocketIoRefused && err.code === 'unauthorized');
  });
});
