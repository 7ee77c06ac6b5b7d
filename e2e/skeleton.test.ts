/**
 * The walking skeleton, end to end: real api, two real gateways and a real
 * worker over real Redis and Postgres. Clients speak only through the shared
 * protocol codec (ParleySocket).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, importJWK } from 'jose';
import { generateSigningJwk } from '../api/index.js';
import { UpgradeRejected, type ParleySocket } from '../shared/client/socket.js';
import { GLOBAL_ROOM_ID, type HistoryResponse, type MeResponse, type Problem, type TokenResponse } from '../shared/http/schemas.js';
import type { Static } from 'typebox';
import { ERRORS } from '../shared/errors.js';
import { eventually } from '../testkit/processes.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

async function rejected(promise: Promise<unknown>): Promise<UpgradeRejected> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof UpgradeRejected) return err;
    throw err;
  }
  assert.fail('the upgrade was accepted');
}

describe('walking skeleton', () => {
  let c: Cluster;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let aliceWs: ParleySocket;
  let bobWs: ParleySocket;

  before(async () => {
    c = await startCluster({ gateways: 2 });
    alice = await c.user('alice');
    bob = await c.user('bob');
  });
  after(async () => {
    await c?.stop();
  });

  test('alice on gateway 1 and bob on gateway 2 both join the global room', async () => {
    aliceWs = await c.connect(0, alice.accessToken, { tokenIn: 'protocol' });
    bobWs = await c.connect(1, bob.accessToken, { tokenIn: 'query' });
    const welcome = await aliceWs.next('welcome');
    assert.equal(welcome.user.username, 'alice');
    assert.deepEqual(welcome.rooms, [GLOBAL_ROOM_ID]);
    assert.equal(aliceWs.ws.protocol, 'parley.v1', 'the server echoes parley.v1, never the token');
    await bobWs.next('welcome');
  });

  test('alice publishes, gets an ack with a seq, and bob receives it across gateways', async () => {
    aliceWs.send({ type: 'publish', ref: 'p1', room: GLOBAL_ROOM_ID, cmid: 'a-1', body: 'hello bob' });
    const ack = await aliceWs.next('ack', (f) => f.ref === 'p1');
    assert.equal(ack.seq, 1);
    assert.equal(ack.duplicate, false);
    const got = await bobWs.next('message', (m) => m.cmid === 'a-1');
    assert.deepEqual(
      { id: got.id, seq: got.seq, body: got.body, from: got.from.username, room: got.room },
      { id: ack.id, seq: 1, body: 'hello bob', from: 'alice', room: GLOBAL_ROOM_ID },
    );
    // The sender's other sockets (and the sender) see the message too.
    await aliceWs.next('message', (m) => m.id === ack.id);
  });

  test('a retried publish with the same cmid returns the original seq and delivers nothing new', async () => {
    aliceWs.send({ type: 'publish', ref: 'p1-retry', room: GLOBAL_ROOM_ID, cmid: 'a-1', body: 'hello bob' });
    const ack = await aliceWs.next('ack', (f) => f.ref === 'p1-retry');
    assert.equal(ack.seq, 1);
    assert.equal(ack.duplicate, true);
    bobWs.send({ type: 'publish', ref: 'b1', room: GLOBAL_ROOM_ID, cmid: 'b-1', body: 'hi alice' });
    const bobAck = await bobWs.next('ack', (f) => f.ref === 'b1');
    assert.equal(bobAck.seq, 2);
    const seen = await aliceWs.next('message', (m) => m.cmid === 'b-1');
    assert.equal(seen.seq, 2);
    assert.equal(aliceWs.frames.filter((f) => f.type === 'message' && f.cmid === 'a-1').length, 1);
  });

  test('the messages appear in history, newest first, with cursor pagination', async () => {
    // History merges the Redis room log, so both are there before the worker stores them.
    const page = await eventually('history to list both messages', async () => {
      const res = await c.get<HistoryResponse>(`/v1/rooms/${GLOBAL_ROOM_ID}/messages?limit=1`, bob.accessToken);
      return res.status === 200 && res.body.messages.length === 1 && res.body.messages[0]!.seq === 2 ? res.body : undefined;
    });
    assert.equal(page.messages[0]!.body, 'hi alice');
    assert.equal(page.nextBefore, 2);
    const older = await c.get<HistoryResponse>(`/v1/rooms/${GLOBAL_ROOM_ID}/messages?limit=1&before=2`, bob.accessToken);
    assert.equal(older.status, 200);
    assert.deepEqual(
      older.body.messages.map((m) => [m.seq, m.body, m.from.username]),
      [[1, 'hello bob', 'alice']],
    );
    assert.equal(older.body.nextBefore, null);
    // The worker commits after WORKER_BATCH_LINGER_MS: wait for it, then count.
    const stored = await eventually('the worker to store both messages', async () => {
      const [row] = await c.db.sql<{ n: number }[]>`select count(*)::int as n from messages`;
      return row && row.n >= 2 ? row.n : undefined;
    });
    assert.equal(stored, 2, 'each message is stored exactly once');
  });

  test('history is for members only and validates its query', async () => {
    const stranger = await c.get<Problem>(`/v1/rooms/${crypto.randomUUID()}/messages`, bob.accessToken);
    assert.equal(stranger.status, 404);
    assert.equal(stranger.body.code, 'room_not_found');
    const bad = await c.get<Problem>(`/v1/rooms/${GLOBAL_ROOM_ID}/messages?limit=0`, bob.accessToken);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'bad_request');
    const anon = await c.get<Problem>(`/v1/rooms/${GLOBAL_ROOM_ID}/messages`);
    assert.equal(anon.status, 401);
  });

  test('malformed, unknown, binary and oversized frames get typed errors and the socket keeps working', async () => {
    const cases: [string | Buffer, string][] = [
      ['{not json', 'bad_frame'],
      ['{"type":"teleport","ref":"u1"}', 'unknown_frame_type'],
      [JSON.stringify({ type: 'publish', room: GLOBAL_ROOM_ID, cmid: 'x', body: '' }), 'bad_frame'],
      [Buffer.from([1, 2, 3]), 'bad_frame'],
      [JSON.stringify({ type: 'ping', ref: 'x'.repeat(20_000) }), 'frame_too_large'],
      [JSON.stringify({ type: 'publish', room: GLOBAL_ROOM_ID, cmid: 'big', body: 'é'.repeat(2100) }), 'message_too_large'],
      [JSON.stringify({ type: 'publish', room: crypto.randomUUID(), cmid: 'nope', body: 'x' }), 'room_not_found'],
    ];
    for (const [raw, code] of cases) {
      const before = aliceWs.frames.length;
      aliceWs.sendRaw(raw);
      const err = await aliceWs.next('error');
      assert.equal(err.code, code, `for ${String(raw).slice(0, 40)}`);
      assert.equal(aliceWs.frames.length, before + 1);
    }
    aliceWs.send({ type: 'ping', ref: 'still-alive' });
    const pong = await aliceWs.next('pong', (p) => p.ref === 'still-alive');
    assert.ok(pong.ts > 0);
  });

  test('missing, garbage, foreign-key and expired tokens get HTTP 401 at the upgrade', async () => {
    const foreign = await generateSigningJwk();
    const sign = async (jwk: typeof foreign, exp: number) =>
      new SignJWT({ sid: crypto.randomUUID(), name: 'mallory' })
        .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid! })
        .setSubject(bob.user.id)
        .setIssuer('parley')
        .setAudience('parley')
        .setExpirationTime(exp)
        .sign(await importJWK(jwk, 'EdDSA'));
    const now = Math.floor(Date.now() / 1000);
    const tokens: [string | null, string][] = [
      [null, 'missing'],
      ['not.a.jwt', 'garbage'],
      [await sign(foreign, now + 600), 'signed by an unknown key'],
      [await sign(c.signingJwk, now - 60), 'expired'],
    ];
    for (const [token, what] of tokens) {
      const err = await rejected(c.connect(1, token));
      assert.equal(err.status, 401, what);
      assert.equal((JSON.parse(err.body) as Problem).code, 'unauthorized', what);
    }
  });

  test('logout closes alice\'s live socket with 1008, and her old token can no longer connect', async () => {
    const second = await c.connect(1, alice.accessToken);
    await second.next('welcome');
    const res = await c.post('/v1/auth/logout', undefined, alice.accessToken);
    assert.equal(res.status, 204);
    const [first, other] = await Promise.all([aliceWs.closed, second.closed]);
    assert.equal(first.code, ERRORS.session_revoked.close);
    assert.equal(other.code, ERRORS.session_revoked.close, 'sockets on every gateway are closed');
    const err = await rejected(c.connect(0, alice.accessToken));
    assert.equal(err.status, 401);
    assert.equal((JSON.parse(err.body) as Problem).code, 'session_revoked');
    assert.equal((await c.get('/v1/me', alice.accessToken)).status, 401);
    assert.equal((await c.post('/v1/auth/refresh', { refreshToken: alice.refreshToken })).status, 401);
  });

  test('refresh rotates; reusing a rotated refresh token revokes the session', async () => {
    const carol = await c.user('carol');
    const first = await c.post<TokenResponse>('/v1/auth/refresh', { refreshToken: carol.refreshToken });
    assert.equal(first.status, 200);
    assert.notEqual(first.body.refreshToken, carol.refreshToken);
    const me = await c.get<Static<typeof MeResponse>>('/v1/me', first.body.accessToken);
    assert.equal(me.status, 200);
    assert.equal(me.body.user.username, 'carol');
    const ws = await c.connect(0, first.body.accessToken);
    await ws.next('welcome');

    const replay = await c.post<Problem>('/v1/auth/refresh', { refreshToken: carol.refreshToken });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.code, 'refresh_token_reused');
    assert.equal((await ws.closed).code, ERRORS.session_revoked.close, 'the revoked session\'s socket is closed');
    const next = await c.post<Problem>('/v1/auth/refresh', { refreshToken: first.body.refreshToken });
    assert.equal(next.status, 401, 'the newest refresh token of the revoked session is dead too');
    assert.equal((await c.get('/v1/me', first.body.accessToken)).status, 401);
  });

  test('every service serves health and Prometheus metrics with conventional names', async () => {
    const required: Record<string, string[]> = {
      api: ['parley_api_requests_total', 'parley_api_request_duration_seconds'],
      gateway: [
        'parley_gateway_connections',
        'parley_gateway_frames_received_total',
        'parley_gateway_frames_sent_total',
        'parley_gateway_publish_ack_seconds',
      ],
      worker: ['parley_worker_batch_size', 'parley_worker_persist_latency_seconds', 'parley_worker_stream_lag_messages'],
    };
    for (const proc of [c.api, ...c.gateways, c.worker]) {
      const ops = `http://127.0.0.1:${proc.opsPort}`;
      assert.equal((await fetch(`${ops}/healthz`)).status, 200, proc.name);
      assert.equal((await fetch(`${ops}/readyz`)).status, 200, proc.name);
      const text = await (await fetch(`${ops}/metrics`)).text();
      const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
      for (const name of required[proc.name.replace(/-\d+$/, '')]!) assert.ok(types.has(name), `${proc.name} lacks ${name}`);
      for (const [name, type] of types) {
        if (!name.startsWith('parley_') || name.startsWith('parley_process_')) continue;
        assert.equal(name.endsWith('_total'), type === 'counter', `${proc.name}: ${name} (${type}): _total iff counter`);
        assert.doesNotMatch(name, /_(ms|milliseconds|kb|mb|minutes)(_|$)/, `${name}: base units only`);
      }
    }
    const gw = await (await fetch(`http://127.0.0.1:${c.gateways[0]!.opsPort}/metrics`)).text();
    assert.match(gw, /parley_gateway_frames_received_total\{type="publish",transport="websocket",service="gateway"\} [1-9]/);
    assert.match(gw, /parley_gateway_frames_received_total\{type="invalid",transport="websocket",service="gateway"\} [1-9]/);
  });

  test('no access or refresh token ever reaches a service log', () => {
    const secrets = [alice.accessToken, alice.refreshToken, bob.accessToken, bob.refreshToken];
    for (const proc of [c.api, ...c.gateways, c.worker]) {
      const out = proc.output();
      assert.ok(out.length > 0, `${proc.name} logged something`);
      for (const secret of secrets) assert.equal(out.includes(secret), false, `${proc.name} logged a token`);
    }
  });

  test('SIGTERM drains a gateway: its sockets close with 1012 and the process exits cleanly', async () => {
    const gw = c.gateways[1]!;
    const exit = gw.kill('SIGTERM');
    const closed = await bobWs.closed;
    assert.equal(closed.code, ERRORS.shutting_down.close);
    assert.deepEqual(await exit, { code: 0, signal: null });
  });
});
