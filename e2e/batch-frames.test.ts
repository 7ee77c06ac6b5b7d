/**
 * `?batch=1`: a socket that opted in may get a room's messages of one
 * gateway turn as one `messages` frame. Tested against real gateways: the
 * same messages in the same order as a plain socket gets, and resume across
 * live traffic delivers each seq exactly once. Socket.IO sockets opt in with
 * `batch: true` in their auth and get `messages` events the same way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TokenResponse } from '../shared/http/schemas.js';
import { ParleySocket } from '../shared/client/socket.js';
import type { ServerFrame } from '../shared/protocol/frames.js';
import { eventually } from '../testkit/processes.js';
import { ParleyClient } from '../client/src/node.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { Recorder, sessionOf } from './sdk-recorder.js';

describe('multi-message frames (?batch=1)', () => {
  let c: Cluster;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let aliceWs: ParleySocket;
  let n = 0;
  /** Sends `count` publishes at once (one burst, so the gateways relay several per turn); resolves when all are acked. */
  const burst = async (room: string, count: number) => {
    const refs = Array.from({ length: count }, () => `b${++n}`);
    for (const ref of refs) aliceWs.send({ type: 'publish', ref, room, cmid: ref, body: `message ${ref}` });
    for (const ref of refs) assert.equal((await aliceWs.reply(ref)).type, 'ack');
  };
  const room = (name: string) => c.publicRoom(name, alice, [bob]);
  const seqsIn = (frames: ServerFrame[], r: string) => frames.flatMap((f) => (f.type === 'message' && f.room === r ? [f.seq] : []));
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  before(async () => {
    c = await startCluster({ gateways: 2 });
    alice = await c.user('alice');
    bob = await c.user('bob');
    aliceWs = await c.connect(0, alice.accessToken);
    await aliceWs.next('welcome');
  });
  after(async () => {
    await c?.stop();
  });

  test('a batching socket gets the same messages in the same order as a plain one, in fewer frames', async () => {
    const r = await room('batch-order');
    const plain = await ParleySocket.connect(c.gatewayUrls[1]!, bob.accessToken);
    const batched = await ParleySocket.connect(`${c.gatewayUrls[1]!}?batch=1`, bob.accessToken);
    await Promise.all([plain.next('welcome'), batched.next('welcome')]);
    await burst(r, 200);
    await eventually('both to have 200 messages', () => (seqsIn(plain.frames, r).length === 200 && seqsIn(batched.frames, r).length === 200 ? true : undefined));
    assert.deepEqual(seqsIn(plain.frames, r), range(1, 200));
    assert.deepEqual(seqsIn(batched.frames, r), range(1, 200));
    assert.equal(plain.batches, 0, 'no messages frame without the option');
    assert.ok(batched.batches > 0, 'a 200-message burst is relayed several per turn');
    plain.ws.close();
    batched.ws.close();
  });

  test('Socket.IO sockets batch the same way, beside raw ones and alone', async () => {
    for (const withRaw of [true, false]) {
      const r = await room(`batch-sio-${withRaw}`);
      const sockets = [
        await c.connectSocketIo(1, bob.accessToken, { batch: true }),
        await c.connectSocketIo(1, bob.accessToken, { batch: true, transports: ['polling'] }),
        await c.connectSocketIo(1, bob.accessToken),
        ...(withRaw ? [await ParleySocket.connect(`${c.gatewayUrls[1]!}?batch=1`, bob.accessToken)] : []),
      ];
      await Promise.all(sockets.map((s) => s.next('welcome')));
      await burst(r, 200);
      await eventually('every socket to have 200 messages', () => (sockets.every((s) => seqsIn(s.frames, r).length === 200) ? true : undefined));
      for (const s of sockets) assert.deepEqual(seqsIn(s.frames, r), range(1, 200));
      assert.ok(sockets[0]!.batches > 0 && sockets[1]!.batches > 0, 'batching Socket.IO sockets got messages events');
      assert.equal(sockets[2]!.batches, 0, 'no messages event without the option');
      await Promise.all(sockets.map((s) => s.close()));
    }
  });

  test('resuming a batching socket while messages flow delivers every seq exactly once', async () => {
    const r = await room('batch-resume');
    // The SDK asks for ?batch=1 by default and unpacks `messages` frames.
    const bobClient = new Recorder(new ParleyClient({ apiUrl: c.apiUrl, wsUrl: c.gatewayUrls[0]!, session: sessionOf(bob) }));
    await bobClient.client.connect();
    await burst(r, 20);
    await eventually('bob to have 1..20', () => (bobClient.client.lastSeq(r) === 20 ? true : undefined));
    bobClient.client.disconnect();
    await burst(r, 30);
    // Reconnect while bursts keep coming: the replay, the buffered live
    // messages and the batch topic must not overlap.
    const mark = bobClient.frames.length;
    await Promise.all([bobClient.client.connect(), burst(r, 50), burst(r, 50)]);
    await eventually('bob to have 1..150', () => (bobClient.client.lastSeq(r) === 150 ? true : undefined));
    assert.deepEqual(seqsIn(bobClient.frames.slice(mark), r), range(21, 150), 'each seq once, in order, on the resumed socket');
    assert.deepEqual(bobClient.seqs(r), range(1, 150));
    bobClient.client.disconnect();
  });
});
