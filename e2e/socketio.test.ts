/**
 * The Socket.IO transport end to end: socket.io-client over WebSocket and
 * over long-polling only, beside raw clients, in the same room across two
 * gateways; one seq per message and exactly one copy on every socket, resume
 * after a disconnect, a kick applied live, logout closing the socket, and
 * the same refusals and typed errors as the raw endpoint
 * (gateway/socketio/attach.ts, shared/protocol/socketio.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { SioParleySocket, SocketIoRefused } from '../shared/client/sio-socket.js';
import type { ParleySocket } from '../shared/client/socket.js';
import type { ServerFrameOf } from '../shared/protocol/frames.js';
import { ERRORS } from '../shared/errors.js';
import type { TokenResponse } from '../shared/http/schemas.js';
import { Server } from 'socket.io';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { createRedis, duplicateRedis } from '../shared/redis/connect.js';
import { redisKeys } from '../shared/redis/keys.js';
import { SOCKETIO_PATH, SOCKETIO_ROOMS } from '../shared/protocol/socketio.js';
import WebSocket from 'ws';

type AnySocket = ParleySocket | SioParleySocket;

/** The messages of `room` a socket received, in arrival order. */
const messagesOf = (s: AnySocket, room: string) => s.frames.filter((f): f is ServerFrameOf<'message'> => f.type === 'message' && f.room === room);

async function refusal(p: Promise<unknown>): Promise<SocketIoRefused> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SocketIoRefused) return err;
    throw err;
  }
  throw new Error('the connect was accepted');
}

describe('Socket.IO transport', () => {
  let c: Cluster;
  let owner: TokenResponse;
  before(async () => {
    c = await startCluster({ gateways: 2 });
    owner = await c.user('sio-owner');
  });
  after(async () => {
    await c?.stop();
  });

  test('raw, Socket.IO websocket and Socket.IO polling clients on two gateways share one ordered stream, one copy each', async () => {
    const users = await Promise.all(['raw0', 'raw1', 'sws0', 'sws1', 'spoll0', 'spoll1', 'sup0', 'sup1'].map((n) => c.user(`sio-${n}`)));
    const room = await c.publicRoom('sio-mixed', owner, users);
    const sockets: AnySocket[] = [
      await c.connect(0, users[0]!.accessToken),
      await c.connect(1, users[1]!.accessToken),
      await c.connectSocketIo(0, users[2]!.accessToken, { transports: ['websocket'] }),
      await c.connectSocketIo(1, users[3]!.accessToken, { transports: ['websocket'] }),
      await c.connectSocketIo(0, users[4]!.accessToken, { transports: ['polling'] }),
      await c.connectSocketIo(1, users[5]!.accessToken, { transports: ['polling'] }),
      // socket.io-client's default: long-polling, then the upgrade to WebSocket, here while messages flow.
      await c.connectSocketIo(0, users[6]!.accessToken, { transports: ['polling', 'websocket'] }),
      await c.connectSocketIo(1, users[7]!.accessToken, { transports: ['polling', 'websocket'] }),
    ];
    for (const s of sockets) assert.ok((await s.next('welcome')).rooms.includes(room));
    assert.equal((sockets[4] as SioParleySocket).transport, 'polling');
    const perSocket = 20;
    // Every socket publishes, interleaved, without waiting for its acks.
    for (let i = 0; i < perSocket; i++) {
      sockets.forEach((s, k) => s.send({ type: 'publish', ref: `p${k}-${i}`, room, cmid: `m${k}-${i}`, body: `from ${k}: ${i}` }));
    }
    const acks = await Promise.all(sockets.flatMap((s, k) => Array.from({ length: perSocket }, (_, i) => s.reply(`p${k}-${i}`))));
    const seqOf = new Map<string, number>();
    for (const a of acks) {
      assert.equal(a.type, 'ack', JSON.stringify(a));
      if (a.type === 'ack') seqOf.set(a.cmid, a.seq);
    }
    const total = sockets.length * perSocket;
    assert.equal(new Set(seqOf.values()).size, total, 'one seq per message');
    for (const k of [6, 7]) {
      const s = sockets[k] as SioParleySocket;
      for (let i = 0; i < 100 && s.transport !== 'websocket'; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(s.transport, 'websocket', `socket ${k} upgraded`);
    }
    for (const [k, s] of sockets.entries()) {
      await s.next('message', () => messagesOf(s, room).length >= total, 15_000).catch(() => undefined);
      const got = messagesOf(s, room);
      assert.equal(got.length, total, `socket ${k}: every message once`);
      const seqs = got.map((m) => m.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `socket ${k}: in seq order`);
      for (const m of got) assert.equal(m.seq, seqOf.get(m.cmid), `socket ${k}: the acked seq`);
    }
    await Promise.all(sockets.map((s) => s.close()));
  });

  test('publish acks through the Socket.IO ack, idempotent by cmid; errors are typed from the catalogue', async () => {
    const u = await c.user('sio-acks');
    const room = await c.publicRoom('sio-acks', owner, [u]);
    const s = await c.connectSocketIo(1, u.accessToken, { transports: ['polling'] });
    await s.next('welcome');
    const first = await s.request({ type: 'publish', room, cmid: 'same', body: 'once' });
    const again = await s.request({ type: 'publish', room, cmid: 'same', body: 'once' });
    assert.equal(first.type, 'ack');
    assert.equal(again.type, 'ack');
    if (first.type !== 'ack' || again.type !== 'ack') return;
    assert.equal(again.seq, first.seq);
    assert.equal(again.duplicate, true);
    assert.equal('ref' in first, false, 'the gateway\'s own ref is not shown');
    const pong = await s.request({ type: 'ping', ref: 'mine' });
    assert.equal(pong.type, 'pong');
    assert.equal(pong.type === 'pong' && pong.ref, 'mine', 'a ref of the client\'s own is echoed');

    const notMember = await s.request({ type: 'publish', room: crypto.randomUUID(), cmid: 'x', body: 'no' });
    assert.equal(notMember.type === 'error' && notMember.code, 'room_not_found');
    const tooBig = await s.request({ type: 'publish', room, cmid: 'big', body: 'x'.repeat(5000) });
    assert.equal(tooBig.type === 'error' && tooBig.code, 'message_too_large');
    // Malformed events: typed errors, the socket stays.
    s.emitRaw('publish', { room, cmid: 'bad cmid!', body: 'x' });
    assert.equal((await s.next('error')).code, 'bad_frame');
    s.emitRaw('shout', { loud: true });
    assert.equal((await s.next('error')).code, 'unknown_frame_type');
    s.emitRaw('publish', { type: 'ping' });
    assert.equal((await s.next('error')).code, 'bad_frame');
    s.emitRaw('ping', 'not an object');
    assert.equal((await s.next('error')).code, 'bad_frame');
    s.emitRaw('publish', { room, cmid: 'huge', body: 'y'.repeat(20_000) });
    assert.equal((await s.next('error')).code, 'frame_too_large');
    s.send({ type: 'typing', room });
    const reply = await s.request({ type: 'publish', room, cmid: 'after', body: 'still here' });
    assert.equal(reply.type, 'ack');
    await s.close();
  });

  test('resume after a disconnect: replay, `resumed` with recovered, then live; across transports', async () => {
    const [reader, writer] = [await c.user('sio-reader'), await c.user('sio-writer')];
    const room = await c.publicRoom('sio-resume', owner, [reader, writer]);
    const w = await c.connect(1, writer.accessToken);
    await w.next('welcome');
    const say = async (cmid: string) => {
      w.send({ type: 'publish', ref: cmid, room, cmid, body: cmid });
      const ack = await w.reply(cmid);
      assert.equal(ack.type, 'ack');
      return ack.type === 'ack' ? ack.seq : 0;
    };
    const first = await c.connectSocketIo(0, reader.accessToken, { transports: ['websocket'] });
    await first.next('welcome');
    const seen = await say('before');
    await first.next('message', (m) => m.seq === seen);
    await first.close();
    const missed = [await say('gone-1'), await say('gone-2')];

    const again = await c.connectSocketIo(0, reader.accessToken, { transports: ['polling'], resume: true });
    await again.next('welcome');
    again.send({ type: 'resume', rooms: [{ room, after: seen }] });
    const resumed = await again.next('resumed');
    assert.equal(resumed.recovered, true);
    assert.equal(resumed.replayed, 2);
    const live = await say('live');
    await again.next('message', (m) => m.seq === live);
    assert.deepEqual(
      messagesOf(again, room).map((m) => m.seq),
      [...missed, live],
      'the missed messages, then live, each once',
    );
    const order = again.frames.filter((f) => f.type === 'message' || f.type === 'resumed').map((f) => f.type);
    assert.deepEqual(order, ['message', 'message', 'resumed', 'message']);
    await Promise.all([again.close(), w.close()]);
  });

  test('a kick applies live: the kicked Socket.IO socket gets the event, stops receiving and may not publish', async () => {
    const [kept, kicked] = [await c.user('sio-kept'), await c.user('sio-kicked')];
    const room = await c.publicRoom('sio-kick', owner, [kept, kicked]);
    const a = await c.connectSocketIo(0, kept.accessToken);
    const b = await c.connectSocketIo(1, kicked.accessToken, { transports: ['polling'] });
    await Promise.all([a.next('welcome'), b.next('welcome')]);
    const res = await c.request('DELETE', `/v1/rooms/${room}/members/${kicked.user.id}`, undefined, owner.accessToken);
    assert.equal(res.status, 204);
    await b.next('event', (e) => e.event === 'member_kicked' && e.user?.id === kicked.user.id);
    const after = await a.request({ type: 'publish', room, cmid: 'after-kick', body: 'not for you' });
    assert.equal(after.type, 'ack');
    await a.next('message', (m) => m.cmid === 'after-kick');
    const denied = await b.request({ type: 'publish', room, cmid: 'kicked', body: 'let me' });
    assert.equal(denied.type === 'error' && denied.code, 'room_not_found');
    // Nothing of the room arrived after the kick (a late delivery could only hide a failure here, not fake one).
    const fence = await b.request({ type: 'ping', ref: 'fence' });
    assert.equal(fence.type, 'pong');
    assert.equal(messagesOf(b, room).some((m) => m.cmid === 'after-kick'), false);
    await Promise.all([a.close(), b.close()]);
  });

  test('logout closes the Socket.IO sockets on every gateway with session_revoked and 1008; the token is refused after', async () => {
    const u = await c.user('sio-logout');
    const ws = await c.connectSocketIo(0, u.accessToken);
    const poll = await c.connectSocketIo(1, u.accessToken, { transports: ['polling'] });
    await Promise.all([ws.next('welcome'), poll.next('welcome')]);
    assert.equal((await c.post('/v1/auth/logout', undefined, u.accessToken)).status, 204);
    for (const s of [ws, poll]) {
      assert.equal((await s.next('error')).code, 'session_revoked');
      assert.equal((await s.closed).code, ERRORS.session_revoked.close);
    }
    const refused = await refusal(c.connectSocketIo(0, u.accessToken));
    assert.equal(refused.code, 'session_revoked');
    assert.equal(refused.problem?.status, 401);
  });

  test('typing and presence cross transports both ways', async () => {
    const [rawUser, sioUser] = [await c.user('sio-typing-raw'), await c.user('sio-typing-sio')];
    const room = await c.publicRoom('sio-typing', owner, [rawUser, sioUser]);
    const raw = await c.connect(0, rawUser.accessToken);
    await raw.next('welcome');
    const sio = await c.connectSocketIo(1, sioUser.accessToken, { transports: ['polling'] });
    await sio.next('welcome');
    await raw.next('presence', (p) => p.user.id === sioUser.user.id && p.room === room && p.online);
    sio.send({ type: 'typing', room });
    await raw.next('typing', (t) => t.room === room && t.user.id === sioUser.user.id);
    raw.send({ type: 'typing', room });
    await sio.next('typing', (t) => t.room === room && t.user.id === rawUser.user.id);
    await sio.close();
    await raw.next('presence', (p) => p.user.id === sioUser.user.id && p.room === room && !p.online, 20_000);
    await raw.close();
  });

  test('connects are refused as at the raw upgrade, with the catalogue code and the problem body', async () => {
    const none = await refusal(c.connectSocketIo(0, null));
    assert.equal(none.code, 'unauthorized');
    assert.equal(none.problem?.code, 'unauthorized');
    assert.equal(none.problem?.status, 401);
    const bad = await refusal(c.connectSocketIo(1, 'not-a-jwt', { transports: ['polling'] }));
    assert.equal(bad.code, 'unauthorized');
  });

  test('metrics carry the transport label', async () => {
    const u = await c.user('sio-metrics');
    const room = await c.publicRoom('sio-metrics', owner, [u]);
    const s = await c.connectSocketIo(0, u.accessToken);
    await s.next('welcome');
    assert.equal((await s.request({ type: 'publish', room, cmid: 'metrics', body: 'counted' })).type, 'ack');
    await s.next('message', (m) => m.cmid === 'metrics');
    const text = await (await fetch(`http://127.0.0.1:${c.gateways[0]!.opsPort}/metrics`)).text();
    assert.match(text, /parley_gateway_connections\{transport="socketio",service="gateway"\} [1-9]/);
    assert.match(text, /parley_gateway_upgrades_total\{outcome="accepted",transport="socketio",service="gateway"\} [1-9]/);
    assert.match(text, /parley_gateway_frames_received_total\{type="publish",transport="socketio",service="gateway"\} [1-9]/);
    assert.match(text, /parley_gateway_frames_sent_total\{type="message",transport="socketio",service="gateway"\} [1-9]/);
    assert.match(text, /parley_gateway_connections\{transport="websocket",service="gateway"\} \d/, 'both series exist from the start');
    await s.close();
  });

  test('hand-framed packets: a number as event name and a namespace-only DISCONNECT are handled, never crash the gateway', async () => {
    const u = await c.user('sio-raw');
    const room = await c.publicRoom('sio-raw', owner, [u]);
    const url = `${c.gatewayUrls[1]!.replace(/\/v1\/ws$/, '')}${SOCKETIO_PATH}?EIO=4&transport=websocket`;
    const ws = new WebSocket(url);
    const packets: string[] = [];
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text === '2') ws.send('3');
      else packets.push(text);
    });
    const waitFor = async (match: (p: string) => boolean) => {
      for (let i = 0; i < 100 && !packets.some(match); i++) await new Promise((r) => setTimeout(r, 50));
      const found = packets.find(match);
      assert.ok(found, `no such packet; got ${JSON.stringify(packets).slice(0, 500)}`);
      packets.splice(packets.indexOf(found), 1);
      return found;
    };
    await new Promise((resolve) => ws.once('open', resolve));
    await waitFor((p) => p.startsWith('0{'));
    ws.send(`40${JSON.stringify({ token: u.accessToken })}`);
    await waitFor((p) => p.startsWith('42["welcome"'));
    ws.send('42[1]');
    ws.send('42[1,{"type":"ping"}]');
    for (let i = 0; i < 2; i++) assert.match(await waitFor((p) => p.startsWith('42["error"')), /"code":"bad_frame"/);
    ws.send('42["ping",{}]');
    await waitFor((p) => p.startsWith('42["pong"'));
    // DISCONNECT for the namespace only: the gateway ends the Engine.IO
    // connection too, so nothing keeps receiving the user's rooms unseen.
    ws.send('41');
    await closed;
    // The gateway lived through it all.
    const other = await c.connectSocketIo(1, u.accessToken);
    await other.next('welcome', (w) => w.rooms.includes(room));
    await other.close();
  });
  test('the Redis adapter gives another process Socket.IO\'s view across gateways: fetchSockets by user room', async () => {
    const u = await c.user('sio-adapter');
    const me = await c.get<{ sessionId: string }>('/v1/me', u.accessToken);
    const sockets = [await c.connectSocketIo(0, u.accessToken), await c.connectSocketIo(1, u.accessToken, { transports: ['polling'] })];
    await Promise.all(sockets.map((s) => s.next('welcome')));
    const pub = createRedis(c.redis.config.topology);
    const sub = duplicateRedis(pub);
    const io = new Server({ serveClient: false, adapter: createShardedAdapter(pub, sub, { channelPrefix: redisKeys(c.redis.config.keyPrefix).socketIoChannel(), subscriptionMode: 'static' }) });
    let found: unknown[] = [];
    try {
      // The adapter counts the servers to wait for with SHARDNUMSUB; a round that times out is tried again.
      for (let i = 0; i < 50 && found.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        found = await io
          .in(SOCKETIO_ROOMS.user(u.user.id))
          .fetchSockets()
          .catch(() => []);
      }
    } finally {
      // Not io.close(): this server never served, so it has no engine to close.
      await io.of('/').adapter.close();
      sub.disconnect();
      pub.disconnect();
      await Promise.all(sockets.map((s) => s.close()));
    }
    assert.equal(found.length, 2, 'one socket on each gateway');
    for (const socket of found as { data: unknown; handshake: { auth: unknown } }[]) {
      assert.deepEqual(socket.data, { userId: u.user.id, sessionId: me.body.sessionId, username: u.user.username });
      assert.deepEqual(socket.handshake.auth, {}, 'the access token does not leave its gateway');
    }
  });

  // Last: it stops gateway 2.
  test('SIGTERM drains Socket.IO sockets too: `closing` with 1012 before the disconnect', async () => {
    const u = await c.user('sio-drain');
    const ws = await c.connectSocketIo(1, u.accessToken);
    const poll = await c.connectSocketIo(1, u.accessToken, { transports: ['polling'] });
    await Promise.all([ws.next('welcome'), poll.next('welcome')]);
    const exit = c.gateways[1]!.kill('SIGTERM');
    const closed = await ws.closed;
    assert.equal(closed.code, ERRORS.shutting_down.close, JSON.stringify(closed));
    // A long-polling client gets `closing` with the poll it has waiting; one
    // caught between two polls finds the listener closed: a drop, after which
    // socket.io-client reconnects by itself, as after 1012.
    assert.ok([ERRORS.shutting_down.close, 1006].includes((await poll.closed).code));
    assert.deepEqual(await exit, { code: 0, signal: null }, 'a clean exit: the Socket.IO server and its adapter closed too');
  });
});
