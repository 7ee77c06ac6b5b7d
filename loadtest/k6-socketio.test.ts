/**
 * The k6 Socket.IO socket frames Engine.IO and Socket.IO packets by hand
 * (loadtest/k6/lib/socketio-packets.ts), and k6 cannot run here. So the
 * framing itself is checked against a real socket.io server over the `ws`
 * client: the module is pure (no k6 imports), bundled with esbuild and
 * loaded by Node. What the socket does with the packets is checked by the
 * bundle checks in k6.test.ts only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Server } from 'socket.io';
import { WebSocket } from 'ws';
import { CLOSING_EVENT, SOCKETIO_PATH } from '../shared/protocol/socketio.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

type Packet =
  | { kind: 'open' | 'ping' | 'close' | 'connect' | 'other' }
  | { kind: 'connect_error'; message: string; data: unknown }
  | { kind: 'event'; name: string; arg: unknown }
  | { kind: 'ack'; id: number; reply: unknown }
  | { kind: 'invalid'; code: string };

interface Packets {
  ENGINE_QUERY: string;
  PONG: string;
  DISCONNECT: string;
  connectPacket(auth: object): string;
  eventPacket(name: string, arg: unknown, ackId?: number): string;
  decodePacket(text: string): Packet;
}

async function loadPackets(): Promise<Packets> {
  const outdir = mkdtempSync(join(tmpdir(), 'parley-k6-sio-'));
  try {
    await build({
      entryPoints: [join(repoRoot, 'loadtest', 'k6', 'lib', 'socketio-packets.ts')],
      outdir,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      outExtension: { '.js': '.mjs' },
      logLevel: 'warning',
    });
    return (await import(pathToFileURL(join(outdir, 'socketio-packets.mjs')).href)) as Packets;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A socket.io server as the gateway configures it for these clients: websocket transport, main namespace, token in `auth`. */
async function startServer(): Promise<{ port: number; io: Server; close(): Promise<void> }> {
  const http = createServer();
  const io = new Server(http, { path: SOCKETIO_PATH, transports: ['websocket'], pingInterval: 100, pingTimeout: 200 });
  io.use((socket, next) => {
    if ((socket.handshake.auth as { token?: unknown }).token === 'good') return next();
    next(Object.assign(new Error('unauthorized'), { data: { status: 401, code: 'unauthorized' } }));
  });
  io.on('connection', (socket) => {
    socket.emit('welcome', { type: 'welcome', rooms: [] });
    socket.on('publish', (frame: { cmid: string }, ack: (reply: unknown) => void) => ack({ type: 'ack', cmid: frame.cmid, seq: 1 }));
    socket.on('leave', () => {
      socket.emit(CLOSING_EVENT, { code: 1012, reason: 'restarting' });
      socket.disconnect(true);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { port, io, close: () => new Promise((resolve) => void io.close(() => resolve())) };
}

/** A hand-framed client: connects with `token`, answers pings, and records every decoded packet. */
function connect(p: Packets, port: number, token: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${SOCKETIO_PATH}?${p.ENGINE_QUERY}`);
  const packets: Packet[] = [];
  const waiters: { match: (packet: Packet) => boolean; resolve: (packet: Packet) => void }[] = [];
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  ws.on('message', (data) => {
    const packet = p.decodePacket(String(data));
    packets.push(packet);
    if (packet.kind === 'open') ws.send(p.connectPacket({ token }));
    if (packet.kind === 'ping') ws.send(p.PONG);
    for (const waiter of waiters.filter((w) => w.match(packet))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(packet);
    }
  });
  const next = (match: (packet: Packet) => boolean) => new Promise<Packet>((resolve) => waiters.push({ match, resolve }));
  return { ws, packets, closed, next };
}

test('the hand framing connects, gets events and acks, answers pings and reads closing over a real socket.io server', async () => {
  const p = await loadPackets();
  const server = await startServer();
  try {
    const client = connect(p, server.port, 'good');
    const welcome = await client.next((packet) => packet.kind === 'event');
    assert.deepEqual(welcome, { kind: 'event', name: 'welcome', arg: { type: 'welcome', rooms: [] } });
    assert.deepEqual(client.packets.slice(0, 2).map((packet) => packet.kind), ['open', 'connect']);

    client.ws.send(p.eventPacket('publish', { type: 'publish', room: 'r', cmid: 'c1', body: 'x' }, 7));
    assert.deepEqual(await client.next((packet) => packet.kind === 'ack'), { kind: 'ack', id: 7, reply: { type: 'ack', cmid: 'c1', seq: 1 } });

    // Several heartbeats (100 ms, 200 ms timeout) pass: the pongs keep the session.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(client.packets.filter((packet) => packet.kind === 'ping').length >= 3);
    assert.equal(client.ws.readyState, WebSocket.OPEN);

    client.ws.send(p.eventPacket('leave', {}));
    assert.deepEqual(await client.next((packet) => packet.kind === 'event'), { kind: 'event', name: CLOSING_EVENT, arg: { code: 1012, reason: 'restarting' } });
    await client.closed;
    assert.ok(client.packets.some((packet) => packet.kind === 'close'), 'the server disconnect is read as close');
    assert.deepEqual(client.packets.filter((packet) => packet.kind === 'invalid'), []);
  } finally {
    await server.close();
  }
});

test('a refused connect is read as connect_error with the code and the problem; a client DISCONNECT leaves the namespace', async () => {
  const p = await loadPackets();
  const server = await startServer();
  try {
    const refused = connect(p, server.port, 'bad');
    assert.deepEqual(await refused.next((packet) => packet.kind === 'connect_error'), {
      kind: 'connect_error',
      message: 'unauthorized',
      data: { status: 401, code: 'unauthorized' },
    });
    refused.ws.close();

    const client = connect(p, server.port, 'good');
    await client.next((packet) => packet.kind === 'event');
    const [accepted] = [...server.io.of('/').sockets.values()];
    const left = new Promise<string>((resolve) => accepted.once('disconnect', resolve));
    client.ws.send(p.DISCONNECT);
    assert.equal(await left, 'client namespace disconnect');
    client.ws.close();
    await client.closed;
  } finally {
    await server.close();
  }
});

test('packets the client cannot use are told apart', async () => {
  const p = await loadPackets();
  assert.deepEqual(p.decodePacket('451-["x",{"_placeholder":true,"num":0}]'), { kind: 'invalid', code: 'binary_frame' });
  assert.deepEqual(p.decodePacket('42/admin,["x",{}]'), { kind: 'invalid', code: 'other_namespace' });
  assert.deepEqual(p.decodePacket('42["x",'), { kind: 'invalid', code: 'invalid_json' });
  assert.deepEqual(p.decodePacket('43["x"]'), { kind: 'invalid', code: 'bad_ack' });
  assert.deepEqual(p.decodePacket('6'), { kind: 'other' });
  assert.deepEqual(p.decodePacket('9'), { kind: 'invalid', code: 'bad_engine_packet' });
  assert.equal(p.eventPacket('publish', { a: 1 }, 3), '423["publish",{"a":1}]');
});
