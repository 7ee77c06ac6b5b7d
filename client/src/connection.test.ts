/**
 * One socket's rules with a WebSocket stand-in (the e2e tests use real
 * gateways): the subprotocols, `messages` unpacked, invalid frames reported,
 * the heartbeat giving up a silent link, and a close of our own not
 * reported back. Plus the backoff formula.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, backoffOptions } from './backoff.js';
import { Connection, HEARTBEAT_CLOSE, type ConnectionHandlers } from './connection.js';

class FakeSocket {
  static last: FakeSocket;
  readyState = 0;
  binaryType = 'blob';
  sent: string[] = [];
  closedWith: [number | undefined, string | undefined] | null = null;
  private listeners = new Map<string, Set<(event: any) => void>>();
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.last = this;
  }
  addEventListener(type: string, listener: (event: any) => void) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: (event: any) => void) {
    this.listeners.get(type)?.delete(listener);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code?: number, reason?: string) {
    this.closedWith = [code, reason];
  }
  fire(type: string, event: unknown = {}) {
    if (type === 'open') this.readyState = 1;
    for (const l of this.listeners.get(type) ?? []) l(event);
  }
}

function open(beat = { intervalMs: 40, timeoutMs: 40 }) {
  const seen: string[] = [];
  const closes: [number, string, boolean][] = [];
  const handlers: ConnectionHandlers = {
    open: () => seen.push('open'),
    frame: (f) => seen.push(f.type === 'message' ? `message ${f.seq}` : f.type),
    invalid: (e) => seen.push(`invalid: ${e.message}`),
    closed: (code, reason, opened) => closes.push([code, reason, opened]),
  };
  const conn = new Connection(FakeSocket, 'ws://gw/v1/ws?resume=1', 'jwt.token.here', handlers, beat);
  return { conn, ws: FakeSocket.last, seen, closes };
}

const message = (seq: number) => ({
  id: '00000000-0000-4000-8000-000000000001',
  room: '00000000-0000-4000-8000-000000000002',
  seq,
  kind: 'text',
  from: { id: '00000000-0000-4000-8000-000000000003', username: 'a' },
  body: 'x',
  cmid: 'c',
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('connection', () => {
  test('offers parley.v1 and the token subprotocol; unpacks messages; reports invalid frames', () => {
    const { conn, ws, seen } = open();
    assert.deepEqual(ws.protocols, ['parley.v1', 'parley.auth.jwt.token.here']);
    assert.equal(ws.binaryType, 'arraybuffer');
    assert.equal(conn.send({ type: 'ping' }), false, 'nothing is sent before the upgrade');
    ws.fire('open');
    assert.equal(conn.send({ type: 'ping', ref: 'p' }), true);
    assert.deepEqual(ws.sent, ['{"type":"ping","ref":"p"}']);
    ws.fire('message', { data: JSON.stringify({ type: 'messages', messages: [message(1), message(2)] }) });
    ws.fire('message', { data: '{"type":"nope"}' });
    assert.deepEqual(seen, ['open', 'message 1', 'message 2', 'invalid: the gateway sent an invalid frame: unknown frame type "nope"']);
    conn.close();
  });

  test('a close is reported once, with whether the upgrade had succeeded; our own close is not', () => {
    const refused = open();
    refused.ws.fire('close', { code: 1006, reason: '' });
    refused.ws.fire('close', { code: 1006, reason: '' });
    assert.deepEqual(refused.closes, [[1006, '', false]]);

    const mine = open();
    mine.ws.fire('open');
    mine.conn.close();
    mine.ws.fire('close', { code: 1000, reason: '' });
    assert.deepEqual(mine.closes, []);
    assert.deepEqual(mine.ws.closedWith, [1000, '']);
  });

  test('the heartbeat pings a silent link, then gives it up', async () => {
    const { ws, closes } = open();
    ws.fire('open');
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(ws.sent, ['{"type":"ping","ref":"heartbeat"}']);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(closes, [[HEARTBEAT_CLOSE, 'heartbeat timeout', true]]);
    assert.deepEqual(ws.closedWith, [HEARTBEAT_CLOSE, 'heartbeat timeout']);
  });

  test('a link that answers keeps going', async () => {
    const { conn, ws, closes } = open();
    ws.fire('open');
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      ws.fire('message', { data: JSON.stringify({ type: 'pong', ts: 1 }) });
    }
    assert.deepEqual(closes, []);
    conn.close();
  });

  test('backoff: min(max, initial × factor^attempt) × (1 − jitter × random)', () => {
    const o = backoffOptions();
    assert.deepEqual(o, { initialDelayMs: 250, maxDelayMs: 15_000, factor: 2, jitter: 0.5 });
    assert.equal(backoffDelay(o, 0, () => 0), 250);
    assert.equal(backoffDelay(o, 3, () => 0), 2000);
    assert.equal(backoffDelay(o, 3, () => 1), 1000);
    assert.equal(backoffDelay(o, 30, () => 0), 15_000);
    assert.equal(backoffDelay(backoffOptions({ jitter: 0, initialDelayMs: 100, factor: 3 }), 2, Math.random), 900);
  });
});
