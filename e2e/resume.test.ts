/**
 * Gapless resume, tested as a client lives it: the documented procedure
 * (the client SDK, client/src) against real gateways, api and worker. The room log is
 * kept tiny (ROOM_LOG_MAXLEN=10; Redis trims approximately, in nodes of about
 * 100 entries) so that gaps older than the window are easy to make.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_ROOM_ID, type TokenResponse } from '../shared/http/schemas.js';
import { ParleySocket } from '../shared/client/socket.js';
import type { ChatMessage, ServerFrame, ServerFrameOf } from '../shared/protocol/frames.js';
import { eventually } from '../testkit/processes.js';
import { ParleyClient } from '../client/src/node.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { Recorder, sessionOf } from './sdk-recorder.js';

describe('gapless resume', () => {
  let c: Cluster;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let aliceWs: ParleySocket;
  let n = 0;
  /** Publishes `count` messages into `room` as alice, `window` in flight at a time; resolves when all are acked. */
  const publish = async (room: string, count: number, window = 8) => {
    const refs = Array.from({ length: count }, () => `a${++n}`);
    for (let i = 0; i < refs.length; i += window) {
      const batch = refs.slice(i, i + window);
      for (const ref of batch) aliceWs.send({ type: 'publish', ref, room, cmid: ref, body: `message ${ref}` });
      for (const ref of batch) assert.equal((await aliceWs.reply(ref)).type, 'ack');
    }
  };
  const room = (name: string) => c.publicRoom(name, alice, [bob]);
  const clients: ParleyClient[] = [];
  /** Bob through the SDK, on the gateway `gateway()` names at each connect. */
  const client = (gateway: () => number = () => 0) => {
    const made = new ParleyClient({ apiUrl: c.apiUrl, wsUrl: () => c.gatewayUrls[gateway()]!, session: sessionOf(bob) });
    clients.push(made);
    return new Recorder(made);
  };
  /** Reconnects: resolves with the frames of the new socket's first `resumed` for `room`, and those before it. */
  const reconnect = async (rec: Recorder, room: string): Promise<{ resumed: ServerFrameOf<'resumed'>; before: ServerFrame[] }> => {
    const mark = rec.frames.length;
    await rec.client.connect();
    const resumed = await eventually('the resumed frame', () =>
      rec.frames.slice(mark).find((f): f is ServerFrameOf<'resumed'> => f.type === 'resumed' && f.room === room),
    );
    return { resumed, before: rec.frames.slice(mark, rec.frames.indexOf(resumed)) };
  };
  const seqs = (messages: ChatMessage[] | undefined) => (messages ?? []).map((m) => m.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  before(async () => {
    c = await startCluster({ gateways: 2, env: { ROOM_LOG_MAXLEN: '10' } });
    alice = await c.user('alice');
    bob = await c.user('bob');
    aliceWs = await c.connect(0, alice.accessToken);
    await aliceWs.next('welcome');
  });
  after(async () => {
    for (const made of clients) made.disconnect();
    await c?.stop();
  });

  test('a client that missed N messages gets exactly those N, in order, then live ones', async () => {
    const r = await room('resume-exact');
    const bobClient = client(() => 1);
    await bobClient.client.connect();
    await publish(r, 5);
    await eventually('bob to have 1..5', () => (bobClient.client.lastSeq(r) === 5 ? true : undefined));
    bobClient.client.disconnect();

    await publish(r, 7);
    const { resumed, before: beforeResumed } = await reconnect(bobClient, r);
    assert.deepEqual({ recovered: resumed.recovered, replayed: resumed.replayed, seq: resumed.seq }, { recovered: true, replayed: 7, seq: 12 });
    assert.deepEqual(
      beforeResumed.flatMap((f) => (f.type === 'message' && f.room === r ? [f.seq] : [])),
      range(6, 12),
      'the replay is exactly the missed messages',
    );
    await publish(r, 2);
    await eventually('bob to have 1..14', () => (bobClient.client.lastSeq(r) === 14 ? true : undefined));
    assert.deepEqual(seqs(bobClient.delivered.get(r)), range(1, 14));
  });

  test('a gap older than the window is reported (recovered: false) and filled from history', async () => {
    const r = await room('resume-window');
    const bobClient = client();
    await bobClient.client.connect();
    await publish(r, 3);
    await eventually('bob to have 1..3', () => (bobClient.client.lastSeq(r) === 3 ? true : undefined));
    bobClient.client.disconnect();

    await publish(r, 400, 16);
    const { resumed } = await reconnect(bobClient, r);
    assert.equal(resumed.recovered, false);
    assert.equal(resumed.missing?.from, 4);
    assert.ok(resumed.missing!.to >= 4 && resumed.missing!.to < 403, JSON.stringify(resumed.missing));
    assert.equal(resumed.replayed, 403 - resumed.missing!.to);
    await bobClient.settled();
    await eventually('bob to have 1..403', () => (bobClient.client.lastSeq(r) === 403 ? true : undefined));
    assert.deepEqual(seqs(bobClient.delivered.get(r)), range(1, 403));
  });

  test('after Redis lost its data, a resume from before the loss answers recovered: false, and history fills it, lost seqs as gaps', async () => {
    const r = await room('resume-after-loss');
    const bobClient = client();
    await bobClient.client.connect();
    await publish(r, 5);
    await eventually('bob to have 1..5', () => (bobClient.client.lastSeq(r) === 5 ? true : undefined));
    bobClient.client.disconnect();
    await publish(r, 3);
    // Everything under this cluster's key prefix is gone, as after a Redis restart without persistence.
    await c.redis.wipe();
    aliceWs.send({ type: 'publish', ref: 'after-loss', room: r, cmid: `after-loss-${++n}`, body: 'after the loss' });
    const ack = await aliceWs.reply('after-loss');
    assert.ok(ack.type === 'ack');
    assert.ok(ack.seq > 8, `no seq given out before the loss comes back (got ${ack.seq})`);

    const { resumed } = await reconnect(bobClient, r);
    assert.equal(resumed.recovered, false);
    assert.deepEqual(resumed.missing, { from: 6, to: ack.seq - 1 });
    await bobClient.settled();
    await eventually('bob to reach the new message', () => (bobClient.client.lastSeq(r) === ack.seq ? true : undefined));
    // What Postgres had is delivered; what was only in Redis is reported lost, not waited for.
    const kept = await c.db.sql<{ seq: number }[]>`select seq from messages where room_id = ${r} and seq > 5 and seq < ${ack.seq} order by seq`;
    assert.deepEqual(seqs(bobClient.delivered.get(r)), [...range(1, 5), ...kept.map((k) => k.seq), ack.seq]);
    assert.deepEqual(bobClient.skipped.get(r) ?? [], []);
  });

  test('positions ahead of the room fail closed; bad resume requests get typed errors', async () => {
    const r = await room('resume-bad');
    await publish(r, 2);
    const held = await ParleySocket.connect(`${c.gatewayUrls[0]!}?resume=1`, bob.accessToken);
    await held.next('welcome');
    held.send({ type: 'resume', ref: 'future', rooms: [{ room: r, after: 50 }, { room: crypto.randomUUID(), after: 0 }] });
    const errors = [await held.next('error', (e) => e.ref === 'future'), await held.next('error', (e) => e.ref === 'future')];
    assert.deepEqual(errors.map((e) => e.code).sort(), ['bad_resume', 'room_not_found']);
    held.send({ type: 'resume', ref: 'again', rooms: [] });
    assert.equal((await held.next('error', (e) => e.ref === 'again')).code, 'bad_resume');
    held.sendRaw(JSON.stringify({ type: 'resume', ref: 'neg', rooms: [{ room: r, after: -1 }] }));
    assert.equal((await held.next('error', (e) => e.ref === 'neg')).code, 'bad_frame');
    // The room with the bad position stays paused: a fence on the global room arrives, room messages do not.
    await publish(r, 1);
    const fence = await c.connect(0, alice.accessToken);
    await fence.next('welcome');
    fence.send({ type: 'publish', ref: 'f', room: GLOBAL_ROOM_ID, cmid: `fence${++n}`, body: 'fence' });
    const ack = await fence.reply('f');
    await held.next('message', (m) => ack.type === 'ack' && m.id === ack.id);
    assert.equal(held.frames.some((f) => f.type === 'message' && f.room === r), false);

    const plain = await c.connect(1, bob.accessToken);
    await plain.next('welcome');
    plain.send({ type: 'resume', ref: 'plain', rooms: [] });
    assert.equal((await plain.next('error', (e) => e.ref === 'plain')).code, 'bad_resume');
    await Promise.all([held.close(), plain.close(), fence.close()]);
  });

  test('while messages keep coming, reconnecting again and again on either gateway loses and repeats nothing', async () => {
    const r = await room('resume-storm');
    let gateway = 0;
    const bobClient = client(() => gateway);
    // The app knows the room is new (as from its history): resume it from 0, so
    // nothing published between welcome and resume is taken as the room's start.
    bobClient.client.setLastSeq(r, 0);
    await bobClient.client.connect();
    const burst = 40;
    const cycles = 6;
    const total = burst * cycles;
    for (let i = 0; i < cycles; i++) {
      // A burst is in flight while bob sees part of it, drops, and comes back on the other gateway.
      const seen = bobClient.client.lastSeq(r) ?? 0;
      const publishing = publish(r, burst, 2);
      await eventually('part of the burst to arrive', () => ((bobClient.client.lastSeq(r) ?? 0) > seen ? true : undefined), 20_000);
      bobClient.client.disconnect();
      gateway = i % 2;
      await bobClient.client.connect();
      await publishing;
    }
    await bobClient.settled();
    await eventually(`bob to have all ${total}`, () => (bobClient.client.lastSeq(r) === total ? true : undefined), 30_000);
    assert.deepEqual(seqs(bobClient.delivered.get(r)), range(1, total));
  });
});
