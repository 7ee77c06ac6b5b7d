import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_FRAMES } from './frames.js';
import { ACKED_FRAMES, fromEvent, fromServerEvent, toEvent } from './socketio.js';

const room = '6f1c1a3e-5b1e-4f43-9d0e-8f3f1c2b7a10';

test('a client event is the frame it names; `type` may be left out, and must match when given', () => {
  const frame = { type: 'publish', room, cmid: 'c1', body: 'hi' } as const;
  const [event, payload] = toEvent(frame);
  assert.equal(event, 'publish');
  assert.deepEqual(fromEvent(event, payload), { ok: true, frame });
  const { type: _type, ...untyped } = frame;
  assert.deepEqual(fromEvent('publish', untyped), { ok: true, frame });
  const mismatched = fromEvent('ping', frame);
  assert.equal(!mismatched.ok && mismatched.error.code, 'bad_frame');
});

test('bad client events get the codes the raw endpoint uses', () => {
  const unknown = fromEvent('shout', { loud: true });
  assert.equal(!unknown.ok && unknown.error.code, 'unknown_frame_type');
  const notObject = fromEvent('ping', 'x');
  assert.equal(!notObject.ok && notObject.error.code, 'bad_frame');
  const invalid = fromEvent('publish', { room, cmid: 'bad cmid!', body: 'x', ref: 'r1' });
  assert.ok(!invalid.ok && invalid.error.code === 'bad_frame' && invalid.error.ref === 'r1', 'a valid ref is echoed');
});

test('server events are checked against the frame they name', () => {
  assert.equal(fromServerEvent('pong', { type: 'pong', ts: 1 }).ok, true);
  const wrong = fromServerEvent('ack', { type: 'pong', ts: 1 });
  assert.equal(!wrong.ok && wrong.error.code, 'bad_frame');
});

test('every client frame type says whether it takes an ack', () => {
  assert.deepEqual(Object.keys(ACKED_FRAMES).sort(), Object.keys(CLIENT_FRAMES).sort());
});
