import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeClientFrame, decodeServerFrame, encodeClientFrame, encodeServerFrame, errorFrame } from './codec.js';
import type { ClientFrame, ServerFrame } from './frames.js';

const room = '00000000-0000-4000-8000-000000000001';

test('a valid publish frame round-trips', () => {
  const frame: ClientFrame = { type: 'publish', room, cmid: 'c-1', body: 'hello', ref: 'r1' };
  const decoded = decodeClientFrame(encodeClientFrame(frame));
  assert.deepEqual(decoded, { ok: true, frame });
});

test('binary input is decoded as UTF-8', () => {
  const bytes = new TextEncoder().encode(JSON.stringify({ type: 'ping' }));
  assert.deepEqual(decodeClientFrame(bytes), { ok: true, frame: { type: 'ping' } });
  assert.deepEqual(decodeClientFrame(bytes.buffer), { ok: true, frame: { type: 'ping' } });
});

test('invalid UTF-8 is a bad_frame', () => {
  const r = decodeClientFrame(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'bad_frame');
});

test('non-JSON, non-objects and missing type are bad_frame', () => {
  for (const raw of ['not json', '[1,2]', '"str"', 'null', '42', '{}', '{"type":5}']) {
    const r = decodeClientFrame(raw);
    assert.equal(r.ok, false, raw);
    assert.equal(!r.ok && r.error.code, 'bad_frame', raw);
  }
});

test('an unknown type is unknown_frame_type and keeps the ref', () => {
  const r = decodeClientFrame('{"type":"explode","ref":"x9"}');
  assert.deepEqual(r, { ok: false, error: { code: 'unknown_frame_type', message: 'unknown frame type "explode"', ref: 'x9' } });
});

test('an invalid ref is not echoed, so the error frame stays valid', () => {
  for (const ref of ['', 'x'.repeat(65), 7]) {
    const r = decodeClientFrame(JSON.stringify({ type: 'ping', ref }));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.ref, undefined);
      assert.equal(decodeServerFrame(encodeServerFrame(errorFrame(r.error.code, { message: r.error.message }))).ok, true);
    }
  }
});

test('schema violations name the field and keep the ref', () => {
  const cases: [unknown, RegExp][] = [
    [{ type: 'publish', ref: 'a', room: 'nope', cmid: 'c', body: 'b' }, /room/],
    [{ type: 'publish', ref: 'a', room, cmid: 'bad id!', body: 'b' }, /cmid/],
    [{ type: 'publish', ref: 'a', room, cmid: 'c', body: '' }, /body/],
    [{ type: 'publish', ref: 'a', room, cmid: 'c', body: 'nul \u0000 inside' }, /body/],
    [{ type: 'publish', ref: 'a', room, cmid: 'c' }, /publish/],
    [{ type: 'publish', ref: 'a', room, cmid: 'c', body: 'b', extra: 1 }, /publish/],
    [{ type: 'ping', ref: 'a', x: 1 }, /ping/],
  ];
  for (const [value, pattern] of cases) {
    const r = decodeClientFrame(JSON.stringify(value));
    assert.equal(r.ok, false, JSON.stringify(value));
    if (!r.ok) {
      assert.equal(r.error.code, 'bad_frame');
      assert.equal(r.error.ref, 'a');
      assert.match(r.error.message, pattern);
    }
  }
});

test('server frames round-trip through the client-side decoder', () => {
  const frames: ServerFrame[] = [
    { type: 'pong', ts: 1, ref: 'p' },
    { type: 'ack', room, cmid: 'c', id: room, seq: 3, createdAt: new Date(0).toISOString(), duplicate: false },
    {
      type: 'message',
      id: room,
      room,
      seq: 1,
      kind: 'text',
      from: { id: room, username: 'alice' },
      body: 'hi',
      cmid: 'c',
      createdAt: new Date(0).toISOString(),
    },
    errorFrame('frame_too_large', { ref: 'z' }),
  ];
  for (const f of frames) assert.deepEqual(decodeServerFrame(encodeServerFrame(f)), { ok: true, frame: f });
});

test('errorFrame takes message and retryable from the catalogue', () => {
  const f = errorFrame('unavailable', { retryAfterMs: 500 });
  assert.equal(f.retryable, true);
  assert.equal(f.retryAfterMs, 500);
  assert.equal(errorFrame('bad_frame', { message: 'x' }).message, 'x');
});
