/**
 * Presence across real gateways: per-user transitions, crash safety, and
 * exactness under churn. Heartbeats are fast (PRESENCE_HEARTBEAT_MS=200,
 * lease of 3 heartbeats) so a crashed gateway's users go offline quickly; the
 * test waits for that (bounded) but asserts no durations.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedis, type RedisClient } from '../shared/redis/connect.js';
import { SignJWT, importJWK } from 'jose';
import { GLOBAL_ROOM_ID, type TokenResponse } from '../shared/http/schemas.js';
import { redisKeys, type RedisKeys } from '../shared/redis/keys.js';
import { ParleySocket } from '../shared/client/socket.js';
import { eventually, startService } from '../testkit/processes.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

describe('presence', () => {
  let c: Cluster;
  let redis: RedisClient;
  let keys: RedisKeys;
  let observer: TokenResponse;
  let watch: ParleySocket;
  let fences = 0;
  const presenceOf = (ws: ParleySocket, userId: string) =>
    ws.frames.flatMap((f) => (f.type === 'presence' && f.user.id === userId && f.room === GLOBAL_ROOM_ID ? [f.online] : []));
  /** A message published now reaches `watch` after every control event published before it. */
  const fence = async () => {
    const ref = `fence${++fences}`;
    watch.send({ type: 'publish', ref, room: GLOBAL_ROOM_ID, cmid: ref, body: 'fence' });
    const ack = await watch.reply(ref);
    assert.equal(ack.type, 'ack');
    await watch.next('message', (m) => ack.type === 'ack' && m.id === ack.id);
  };
  const socketsOn = async (userId: string) =>
    Object.values(await redis.hgetall(keys.presenceConns(userId))).reduce((n, v) => n + Number(v), 0);

  before(async () => {
    c = await startCluster({ gateways: 2, env: { PRESENCE_HEARTBEAT_MS: '200', PRESENCE_LEASE_HEARTBEATS: '3' } });
    redis = createRedis(c.redis.config.topology);
    keys = redisKeys(c.redis.config.keyPrefix);
    observer = await c.user('observer');
    watch = await c.connect(0, observer.accessToken);
    await watch.next('welcome');
  });
  after(async () => {
    redis?.disconnect();
    await c?.stop();
  });

  test('two sockets on two gateways: online once, nothing when one closes, offline once after the last', async () => {
    const dana = await c.user('dana');
    const one = await c.connect(0, dana.accessToken);
    await one.next('welcome');
    await watch.next('presence', (p) => p.user.id === dana.user.id && p.online);
    const two = await c.connect(1, dana.accessToken);
    await two.next('welcome');
    await eventually('both sockets registered', async () => ((await socketsOn(dana.user.id)) === 2 ? true : undefined));
    await one.close();
    await eventually('the first close registered', async () => ((await socketsOn(dana.user.id)) === 1 ? true : undefined));
    await two.close();
    const offline = await watch.next('presence', (p) => p.user.id === dana.user.id && !p.online);
    assert.ok(offline.lastSeen);
    await fence();
    assert.deepEqual(presenceOf(watch, dana.user.id), [true, false]);
    assert.equal(await redis.zscore(keys.presenceOnline(), dana.user.id), null);
  });

  test('a connect\'s online announcement carries the custom status and reaches each of the user\'s rooms, as read at the upgrade', async () => {
    const fay = await c.user('fay');
    const status = { text: 'in a meeting', away: true };
    assert.equal((await c.request('PUT', '/v1/me/status', status, fay.accessToken)).status, 200);
    const room = await c.publicRoom('fays-room', fay, [observer]);
    const watcher = await c.connect(1, observer.accessToken);
    await watcher.next('welcome');
    const ws = await c.connect(0, fay.accessToken);
    await ws.next('welcome');
    for (const where of [room, GLOBAL_ROOM_ID]) {
      const online = await watcher.next('presence', (p) => p.user.id === fay.user.id && p.room === where && p.online);
      assert.deepEqual({ user: online.user, status: online.status }, { user: { id: fay.user.id, username: fay.user.username }, status }, where);
      assert.ok(online.lastSeen);
    }
    await ws.close();
    await watcher.close();
  });

  test('a gateway killed with SIGKILL: its users go offline for everyone, with no entries left behind', async () => {
    const eve = await c.user('eve');
    const victim = c.gateways[1]!;
    const ws = await c.connect(1, eve.accessToken);
    await ws.next('welcome');
    await watch.next('presence', (p) => p.user.id === eve.user.id && p.online);
    const gatewaysBefore = await redis.zrange(keys.presenceGateways(), '0', '-1');
    assert.equal(gatewaysBefore.length, 2);
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    await watch.next('presence', (p) => p.user.id === eve.user.id && !p.online, 20_000);
    process.stderr.write(`# crashed gateway's user offline after ${Date.now() - killedAt} ms (bound: (3 + 1) × 200 ms + reap)\n`);
    const gatewaysAfter = await redis.zrange(keys.presenceGateways(), '0', '-1');
    assert.equal(gatewaysAfter.length, 1);
    const dead = gatewaysBefore.find((g) => !gatewaysAfter.includes(g))!;
    assert.equal(await redis.exists(keys.presenceGatewayUsers(dead)), 0, 'no ghost socket list');
    assert.equal(await redis.hexists(keys.presenceConns(eve.user.id), dead), 0, 'no ghost socket count');
    assert.equal(await redis.zscore(keys.presenceOnline(), eve.user.id), null);

    // A new gateway in its place starts clean: eve stays offline until she connects again.
    const fresh = await startService('gateway', { ...c.env, GATEWAY_PORT: new URL(c.gatewayUrls[1]!).port, AUTH_JWKS_URL: `${c.apiUrl}/.well-known/jwks.json` }, { name: 'gateway-2b' });
    c.gateways[1] = fresh;
    c.adopt(fresh);
    await eventually('the new gateway to take a lease', async () => ((await redis.zcard(keys.presenceGateways())) === 2 ? true : undefined));
    assert.equal(await redis.zscore(keys.presenceOnline(), eve.user.id), null);
  });

  test('2000 sockets connecting and disconnecting at random: presence matches exactly the sockets left open', async () => {
    // 200 users × up to 10 sockets, spread over both gateways. Users are created
    // directly and given tokens signed with the cluster's key: 2000 password
    // hashes would dominate the test without testing presence.
    const key = await importJWK(c.signingJwk, 'EdDSA');
    const users: { id: string; token: string }[] = [];
    for (let i = 0; i < 200; i++) {
      const id = crypto.randomUUID();
      await c.db.sql`insert into users (id, username, password_hash) values (${id}, ${`load${i}`}, 'x')`;
      const token = await new SignJWT({ sid: crypto.randomUUID(), name: `load${i}` })
        .setProtectedHeader({ alg: 'EdDSA', kid: c.signingJwk.kid! })
        .setSubject(id)
        .setIssuer('parley')
        .setAudience('parley')
        .setExpirationTime('10m')
        .sign(key);
      users.push({ id, token });
    }
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const open: { user: string; ws: ParleySocket }[] = [];
    const connect = async () => {
      const u = users[rand(users.length)]!;
      const ws = await ParleySocket.connect(c.gatewayUrls[rand(2)]!, u.token);
      open.push({ user: u.id, ws });
    };
    for (let i = 0; i < 2000; i += 50) await Promise.all(Array.from({ length: 50 }, connect));
    for (let round = 0; round < 6; round++) {
      const closing = Array.from({ length: 150 }, () => open.splice(rand(open.length), 1)[0]!);
      await Promise.all([...closing.map((s) => s.ws.close()), ...Array.from({ length: 100 }, connect)]);
    }
    const expected = new Map<string, number>();
    for (const s of open) expected.set(s.user, (expected.get(s.user) ?? 0) + 1);
    const loadIds = new Set(users.map((u) => u.id));
    await eventually(
      'presence to settle on the open sockets',
      async () => {
        const online = new Set((await redis.zrange(keys.presenceOnline(), '0', '-1')).filter((id) => loadIds.has(id)));
        if (online.size !== expected.size || [...expected.keys()].some((id) => !online.has(id))) return undefined;
        for (const [id, n] of expected) if ((await socketsOn(id)) !== n) return undefined;
        return true;
      },
      20_000,
    );
    for (const u of users) if (!expected.has(u.id)) assert.equal(await socketsOn(u.id), 0, `ghost sockets for ${u.id}`);
    await Promise.all(open.map((s) => s.ws.close()));
  });
});
