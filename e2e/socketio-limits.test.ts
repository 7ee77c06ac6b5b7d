/**
 * The raw endpoint's limits hold on the Socket.IO transport too: the one
 * connection limit of the process counts both transports, the publish rate
 * limits refuse a Socket.IO burst with `rate_limited`, and a Socket.IO reader
 * that stops taking what it is sent is dropped at GATEWAY_MAX_BACKPRESSURE_BYTES
 * instead of buffering without bound (gateway/socketio/attach.ts). Browsers
 * on another origin may long-poll only from GATEWAY_SOCKETIO_CORS_ORIGINS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { SocketIoRefused, type SioParleySocket } from '../shared/client/sio-socket.js';
import { UpgradeRejected, type ParleySocket } from '../shared/client/socket.js';
import { SOCKETIO_PATH, type SocketIoAuth } from '../shared/protocol/socketio.js';
import type { TokenResponse } from '../shared/http/schemas.js';

const MAX_CONNECTIONS = 4;
const MAX_BACKPRESSURE = 4096;
const BURST = 20;
const ALLOWED_ORIGIN = 'https://chat.example.com';
/** Engine.IO v4 long-polling separates the packets of one HTTP body with this. */
const SEPARATOR = '\u001e';

describe('Socket.IO transport limits', () => {
  let c: Cluster;
  let owner: TokenResponse;
  let origin: string;
  before(async () => {
    c = await startCluster({
      gateways: 1,
      env: {
        GATEWAY_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
        GATEWAY_MAX_BACKPRESSURE_BYTES: String(MAX_BACKPRESSURE),
        GATEWAY_SOCKETIO_BACKPRESSURE_CHECK_MS: '100',
        GATEWAY_SOCKETIO_CORS_ORIGINS: ALLOWED_ORIGIN,
        // The gateway's defaults (the test cluster lifts them for other suites).
        GATEWAY_PUBLISH_RATE_PER_CONNECTION: '10',
        GATEWAY_PUBLISH_BURST_PER_CONNECTION: String(BURST),
        GATEWAY_PUBLISH_RATE_PER_USER: '20',
        GATEWAY_PUBLISH_BURST_PER_USER: '40',
      },
    });
    owner = await c.user('limits-owner');
    origin = new URL(c.gatewayUrls[0]!.replace(/^ws/, 'http')).origin;
  });
  after(async () => {
    await c?.stop();
  });

  test('the connection limit counts both transports', async () => {
    const users = await Promise.all([1, 2, 3, 4].map((i) => c.user(`limits-conn${i}`)));
    const open: (ParleySocket | SioParleySocket)[] = [
      await c.connect(0, users[0]!.accessToken),
      await c.connectSocketIo(0, users[1]!.accessToken),
      await c.connect(0, users[2]!.accessToken),
      await c.connectSocketIo(0, users[3]!.accessToken, { transports: ['polling'] }),
    ];
    await Promise.all(open.map((s) => s.next('welcome')));
    try {
      await assert.rejects(c.connectSocketIo(0, owner.accessToken), (err: unknown) => {
        assert.ok(err instanceof SocketIoRefused);
        assert.equal(err.code, 'too_many_connections');
        assert.equal(err.problem?.status, 503);
        assert.equal(err.problem?.retryable, true);
        return true;
      });
      await assert.rejects(c.connect(0, owner.accessToken), (err: unknown) => err instanceof UpgradeRejected && err.status === 503);
    } finally {
      await Promise.all(open.map((s) => s.close()));
    }
  });

  test('a burst of publishes over Socket.IO meets the same rate limit as on the raw endpoint', async () => {
    const u = await c.user('limits-burst');
    const room = await c.publicRoom('limits-burst', owner, [u]);
    const s = await c.connectSocketIo(0, u.accessToken);
    await s.next('welcome');
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => s.request({ type: 'publish', room, cmid: `burst-${i}`, body: `${i}` })));
    const limited = replies.filter((r) => r.type === 'error' && r.code === 'rate_limited');
    const acked = replies.filter((r) => r.type === 'ack');
    assert.equal(limited.length + acked.length, 40, JSON.stringify(replies.filter((r) => r.type !== 'ack').slice(0, 3)));
    assert.ok(limited.length > 0, 'the burst went past GATEWAY_PUBLISH_BURST_PER_CONNECTION');
    assert.ok(acked.length >= BURST, 'the burst allowance was served');
    assert.ok(limited.every((r) => r.type === 'error' && r.retryable && (r.retryAfterMs ?? 0) > 0));
    await s.close();
  });

  test('a Socket.IO reader that stops polling is dropped past GATEWAY_MAX_BACKPRESSURE_BYTES', async () => {
    const [reader, writer] = [await c.user('limits-slow'), await c.user('limits-writer')];
    const room = await c.publicRoom('limits-slow', owner, [reader, writer]);
    // A hand-driven Engine.IO long-polling session: handshake, CONNECT with the token, read until `welcome`.
    const url = (sid?: string) => `${origin}${SOCKETIO_PATH}?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`;
    const open = await (await fetch(url())).text();
    assert.equal(open[0], '0', open);
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const auth: SocketIoAuth = { token: reader.accessToken };
    assert.equal((await fetch(url(sid), { method: 'POST', body: `40${JSON.stringify(auth)}` })).status, 200);
    let received = '';
    while (!received.includes('"welcome"')) received += SEPARATOR + (await (await fetch(url(sid))).text());
    assert.ok(received.split(SEPARATOR).some((p) => p.startsWith('40')), 'the namespace accepted the socket');

    // It polls no more; the room's messages pile up for it.
    const w = await c.connect(0, writer.accessToken);
    await w.next('welcome');
    for (let i = 0; i < 8; i++) {
      w.send({ type: 'publish', ref: `s${i}`, room, cmid: `slow-${i}`, body: 'z'.repeat(1000) });
      assert.equal((await w.reply(`s${i}`)).type, 'ack');
    }
    // Dropped within a few checks, without a poll (one would empty its queue): then its session is gone.
    for (let i = 0; i < 100 && !/socket\.io reader too slow/.test(c.gateways[0]!.output()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(c.gateways[0]!.output(), /socket\.io reader too slow/);
    const res = await fetch(url(sid));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Session ID unknown/);
    const metrics = await (await fetch(`http://127.0.0.1:${c.gateways[0]!.opsPort}/metrics`)).text();
    assert.match(metrics, /parley_gateway_closes_total\{code="1006",transport="socketio",service="gateway"\} [1-9]/);
    assert.match(metrics, /parley_gateway_socketio_request_errors_total\{reason="unknown_sid",service="gateway"\} [1-9]/);
    await w.close();
  });
  test('long-polling from another origin is allowed, with credentials, only from GATEWAY_SOCKETIO_CORS_ORIGINS', async () => {
    const handshake = `${origin}${SOCKETIO_PATH}?EIO=4&transport=polling`;
    const preflight = await fetch(handshake, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.ok(preflight.status === 204 || preflight.status === 200, String(preflight.status));
    assert.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    const allowed = await fetch(handshake, { headers: { origin: ALLOWED_ORIGIN } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    await allowed.text();
    const other = await fetch(handshake, { headers: { origin: 'https://evil.example.net' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null, 'no CORS grant for an origin not listed');
    await other.text();
  });
});
