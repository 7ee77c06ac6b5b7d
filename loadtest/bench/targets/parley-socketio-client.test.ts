/**
 * The generator's parley Socket.IO client against a stand-in: a real
 * Socket.IO server that speaks the mapping of shared/protocol/socketio.ts
 * (auth in CONNECT, `welcome`, acks carrying `ack` or `error` frames,
 * `messages`, `closing`), with frames made to pass the shared schemas. The
 * gateway itself is driven by the bench's smoke test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { errorFrame } from '../../../shared/protocol/codec.js';
import type { ChatMessage, ServerFrameOf } from '../../../shared/protocol/frames.js';
import { eventually } from '../../../testkit/processes.js';
import { ConnectFailure } from '../connect-failure.js';
import { parleySocketIoClient, socketIoEndpoint } from './parley-socketio-client.js';

const ROOM = randomUUID();
const user = { id: randomUUID(), username: 'u' };
const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
const seen: { auth: unknown; query: Record<string, unknown> }[] = [];
let gateway: string;

const chat = (seq: number, body: string, cmid: string): ChatMessage => ({
  id: randomUUID(),
  room: ROOM,
  seq,
  kind: 'text',
  from: user,
  body,
  cmid,
  createdAt: new Date().toISOString(),
});

before(async () => {
  io.use((socket, next) => {
    const { token } = socket.handshake.auth as { token?: string };
    if (token === 'bad') next(Object.assign(new Error('unauthorized'), { data: { status: 401 } }));
    else next();
  });
  io.on('connection', (socket: Socket) => {
    seen.push({ auth: socket.handshake.auth, query: socket.handshake.query });
    let seq = 0;
    socket.on('publish', (frame: { room: string; cmid: string; body: string }, ack: (reply: unknown) => void) => {
      if (frame.body === 'refuse') return ack(errorFrame('rate_limited'));
      const message = chat(++seq, frame.body, frame.cmid);
      const reply: ServerFrameOf<'ack'> = { type: 'ack', room: ROOM, cmid: frame.cmid, id: message.id, seq, createdAt: message.createdAt, duplicate: false };
      ack(reply);
      if (frame.body === 'twice') socket.emit('messages', { type: 'messages', messages: [message, chat(++seq, 'again', `${frame.cmid}b`)] });
      else if (frame.body === 'bye') {
        socket.emit('closing', { code: 1012, reason: 'restarting' });
        socket.disconnect(true);
      } else socket.emit('message', { type: 'message', ...message });
    });
    // The rooms are live a little after the CONNECT reply: the client must wait for this.
    setTimeout(() => {
      const welcome: ServerFrameOf<'welcome'> = {
        type: 'welcome',
        v: 1,
        user,
        rooms: [ROOM],
        limits: { maxFrameBytes: 65536, maxMessageBytes: 4000, idleTimeoutSeconds: 120 },
      };
      socket.emit('welcome', welcome);
      socket.emit('presence', { type: 'presence', bogus: true });
    }, 50);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  gateway = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/v1/ws`;
});

after(async () => {
  await io.close();
});

function handlers() {
  const got: string[] = [];
  const errors: string[] = [];
  const closes: number[] = [];
  return {
    got,
    errors,
    closes,
    handlers: { onDeliver: (room: string, body: string) => got.push(`${room === ROOM ? 'room' : room}:${body}`), onClose: (c: number) => closes.push(c), onError: (c: string) => errors.push(c) },
  };
}

test('the endpoint is the gateway host and port at /socket.io/, batch in its query', () => {
  assert.equal(socketIoEndpoint('ws://127.0.0.1:4000/v1/ws', { batch: false }), 'ws://127.0.0.1:4000/socket.io/?EIO=4&transport=websocket');
  assert.equal(socketIoEndpoint('ws://127.0.0.1:4000/v1/ws', { batch: true }), 'ws://127.0.0.1:4000/socket.io/?EIO=4&transport=websocket&batch=1');
});

test('connects at welcome with the token (and batch) in the CONNECT auth; publishes, acks, deliveries, refusals', async () => {
  const h = handlers();
  const t0 = Date.now();
  const socket = await parleySocketIoClient.connect({ user: 'u', token: 'tok', rooms: [], endpoint: socketIoEndpoint(gateway, { batch: true }) }, h.handlers);
  assert.ok(Date.now() - t0 >= 45, 'resolved at welcome, not at the CONNECT reply');
  assert.deepEqual(seen.at(-1), { auth: { token: 'tok', batch: true }, query: { EIO: '4', transport: 'websocket' } });

  let acks = 0;
  socket.publish(ROOM, 'hello', '0:1', () => acks++);
  socket.publish(ROOM, 'twice', '0:2', () => acks++);
  socket.publish(ROOM, 'refuse', '0:3', () => acks++);
  await eventually('acks, deliveries and the refusal', () => (acks === 2 && h.got.length === 3 && h.errors.includes('rate_limited') ? true : undefined));
  assert.deepEqual(h.got, ['room:hello', 'room:twice', 'room:again']);
  assert.deepEqual(h.errors.sort(), ['invalid_frame', 'rate_limited'], 'the malformed presence event is counted, the refusal by its code');

  socket.publish(ROOM, 'bye', '0:4', () => acks++);
  await eventually('closed', () => (h.closes.length === 1 ? true : undefined));
  assert.deepEqual(h.closes, [1012], "the closing event's code, not the WebSocket's");
});

test('without batch the auth is the token alone', async () => {
  const h = handlers();
  const socket = await parleySocketIoClient.connect({ user: 'u', token: 'tok2', rooms: [], endpoint: socketIoEndpoint(gateway, { batch: false }) }, h.handlers);
  assert.deepEqual(seen.at(-1)?.auth, { token: 'tok2' });
  socket.close();
  await eventually('closed', () => (h.closes.length === 1 ? true : undefined));
});

test('a CONNECT_ERROR rejects connect with its code as the reason', async () => {
  const h = handlers();
  await assert.rejects(
    parleySocketIoClient.connect({ user: 'u', token: 'bad', rooms: [], endpoint: socketIoEndpoint(gateway, { batch: false }) }, h.handlers),
    (err: unknown) => err instanceof ConnectFailure && err.reason === 'unauthorized',
  );
  assert.deepEqual(h.closes, [], 'a socket never handed out reports no close');
});
