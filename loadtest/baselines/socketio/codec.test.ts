/**
 * The hand codec on the packets the Socket.IO 4.8 server sends (seen on the
 * wire in socketio.test.ts), and against engine.io-parser and
 * socket.io-parser, which Socket.IO itself reads and writes with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket as decodeEio, encodePacket as encodeEio, type Packet as EioPacket } from 'engine.io-parser';
import { Decoder, Encoder, PacketType, type Packet as SioPacket } from 'socket.io-parser';
import { CONNECT_FRAME, PONG_FRAME, decodePacket, encodeConnect, encodeEvent } from './codec.js';

test('decodes the handshake, heartbeat and teardown packets', () => {
  assert.deepEqual(decodePacket('0{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":65536}'), { type: 'open' });
  assert.deepEqual(decodePacket('40{"sid":"abc"}'), { type: 'connect' });
  assert.deepEqual(decodePacket('2'), { type: 'ping' });
  assert.deepEqual(decodePacket('41'), { type: 'disconnect' });
  assert.deepEqual(decodePacket('1'), { type: 'disconnect' });
  assert.deepEqual(decodePacket('44{"message":"Invalid namespace"}'), { type: 'connect_error', message: 'Invalid namespace' });
});

test('decodes events, with or without an ack id, and acks', () => {
  assert.deepEqual(decodePacket('42["message",{"room":"r0","body":"hi"}]'), { type: 'event', name: 'message', data: { room: 'r0', body: 'hi' } });
  assert.deepEqual(decodePacket('4217["message",{"room":"r0","body":"x"}]'), { type: 'event', name: 'message', data: { room: 'r0', body: 'x' } });
  assert.deepEqual(decodePacket('43[]'), { type: 'other' }, 'an ack without an id answers nothing');
  assert.deepEqual(decodePacket('43123[]'), { type: 'ack', id: 123, data: undefined });
  assert.deepEqual(decodePacket('437[{"type":"ack","seq":3}]'), { type: 'ack', id: 7, data: { type: 'ack', seq: 3 } });
  assert.deepEqual(decodePacket('437[{"type":"ack"},2]'), { type: 'ack', id: 7, data: { type: 'ack' } }, 'the first argument only');
  assert.deepEqual(decodePacket('437[{"type"'), { type: 'ack', id: 7, data: undefined }, 'malformed JSON: still the ack');
});

test('anything else is other: noop, binary, other namespaces, malformed JSON', () => {
  for (const frame of ['6', '451-["message",{"_placeholder":true,"num":0}]', '42/chat,["message",{}]', '42["message"', '42{}', '']) {
    assert.deepEqual(decodePacket(frame), { type: 'other' }, frame);
  }
});

test('encodes an event with its only argument and an optional ack id', () => {
  assert.equal(encodeEvent('publish', { room: 'r1', body: 'a "b"' }, 0), '420["publish",{"room":"r1","body":"a \\"b\\""}]');
  assert.equal(encodeEvent('publish', { room: 'r1', body: 'x' }), '42["publish",{"room":"r1","body":"x"}]');
});

test('encodes a CONNECT with an auth payload', () => {
  assert.equal(encodeConnect({ token: 't', batch: true }), '40{"token":"t","batch":true}');
});

/** One Engine.IO packet as engine.io-parser frames it (string packets are encoded synchronously). */
function eio(packet: EioPacket): string {
  let frame = '';
  encodeEio(packet, false, (encoded) => {
    frame = encoded as string;
  });
  return frame;
}

/** One Socket.IO packet as socket.io-parser writes it, in its Engine.IO message. */
const sio = (packet: SioPacket) => eio({ type: 'message', data: new Encoder().encode(packet)[0] as string });

/** A client frame as the Socket.IO server reads it: engine.io-parser, then socket.io-parser. */
function serverReads(frame: string): { eio: EioPacket; sio?: SioPacket } {
  const packet = decodeEio(frame);
  if (packet.type !== 'message') return { eio: packet };
  const decoder = new Decoder();
  let decoded: SioPacket | undefined;
  decoder.on('decoded', (p: SioPacket) => {
    decoded = p;
  });
  decoder.add(packet.data as string);
  return { eio: packet, sio: decoded };
}

test('reads what engine.io-parser and socket.io-parser write, the libraries the Socket.IO server uses', () => {
  assert.deepEqual(decodePacket(eio({ type: 'open', data: '{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":20000}' })), { type: 'open' });
  assert.deepEqual(decodePacket(eio({ type: 'ping' })), { type: 'ping' });
  assert.deepEqual(decodePacket(eio({ type: 'close' })), { type: 'disconnect' });
  assert.deepEqual(decodePacket(eio({ type: 'noop' })), { type: 'other' });
  assert.deepEqual(decodePacket(sio({ type: PacketType.CONNECT, nsp: '/', data: { sid: 'abc' } })), { type: 'connect' });
  assert.deepEqual(decodePacket(sio({ type: PacketType.CONNECT_ERROR, nsp: '/', data: { message: 'nope' } })), { type: 'connect_error', message: 'nope' });
  assert.deepEqual(decodePacket(sio({ type: PacketType.DISCONNECT, nsp: '/' })), { type: 'disconnect' });
  const data = { room: 'r0', body: 'hé "quoted" \\ \n 🙂 42[]' };
  assert.deepEqual(decodePacket(sio({ type: PacketType.EVENT, nsp: '/', data: ['message', data] })), { type: 'event', name: 'message', data });
  assert.deepEqual(decodePacket(sio({ type: PacketType.EVENT, nsp: '/', id: 9, data: ['message', data] })), { type: 'event', name: 'message', data });
  assert.deepEqual(decodePacket(sio({ type: PacketType.ACK, nsp: '/', id: 1234, data: [] })), { type: 'ack', id: 1234, data: undefined });
  assert.deepEqual(decodePacket(sio({ type: PacketType.ACK, nsp: '/', id: 5, data: [data] })), { type: 'ack', id: 5, data });
  assert.deepEqual(decodePacket(sio({ type: PacketType.EVENT, nsp: '/chat', data: ['message', data] })), { type: 'other' });
});

test('writes what engine.io-parser and socket.io-parser read', () => {
  assert.deepEqual(serverReads(CONNECT_FRAME).sio, { type: PacketType.CONNECT, nsp: '/' });
  const auth = { token: 'a.b-c_d', batch: true };
  assert.deepEqual(serverReads(encodeConnect(auth)).sio, { type: PacketType.CONNECT, nsp: '/', data: auth });
  assert.deepEqual(serverReads(PONG_FRAME).eio, { type: 'pong' });
  const data = { room: 'r1', body: 'a "b" \\ \n 🙂' };
  assert.deepEqual(serverReads(encodeEvent('publish', data, 7)).sio, { type: PacketType.EVENT, nsp: '/', id: 7, data: ['publish', data] });
  assert.deepEqual(serverReads(encodeEvent('publish', data)).sio, { type: PacketType.EVENT, nsp: '/', data: ['publish', data] });
});
