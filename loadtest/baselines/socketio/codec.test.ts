/** The hand codec on the packets the Socket.IO 4.8 server sends (seen on the wire in socketio.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, encodeEvent } from './codec.js';

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
  assert.deepEqual(decodePacket('43123[]'), { type: 'ack', id: 123 });
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
