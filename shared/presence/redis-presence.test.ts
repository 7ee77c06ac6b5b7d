/** RedisPresence over real Redis: transitions once per user, leases, reaping, reads. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRedis, type TestRedis } from '../../testkit/redis.js';
import { redisKeys } from '../redis/keys.js';
import { registerScripts } from '../redis/scripts.js';
import { RedisPresence } from './redis-presence.js';

describe('RedisPresence', () => {
  let r: TestRedis;
  let p: RedisPresence;
  before(async () => {
    r = await createTestRedis();
    p = new RedisPresence(r.redis, registerScripts(r.redis), redisKeys(r.config.keyPrefix));
  });
  after(async () => {
    await r.cleanup();
  });
  const user = () => crypto.randomUUID();

  test('a first connect answers the state an online announcement needs, as states() would read it', async () => {
    const u = user();
    await p.setStatus(u, { text: 'in a meeting', away: true });
    const state = await p.connect('gw-a', u);
    assert.deepEqual(state, (await p.states([u]))[0]);
    assert.deepEqual(state?.status, { text: 'in a meeting', away: true });
    const plain = user();
    assert.equal((await p.connect('gw-a', plain))?.status, null);
  });

  test('online on the first socket anywhere, offline after the last; other sockets change nothing', async () => {
    const u = user();
    assert.equal((await p.connect('gw-a', u))?.online, true);
    assert.equal(await p.connect('gw-b', u), null, 'a second device on another gateway');
    assert.equal(await p.connect('gw-a', u), null, 'a second tab on the same gateway');
    assert.equal(await p.disconnect('gw-a', u), false);
    assert.equal(await p.disconnect('gw-b', u), false);
    assert.equal((await p.states([u]))[0]!.online, true);
    assert.equal(await p.disconnect('gw-a', u), true);
    assert.equal(await p.disconnect('gw-a', u), false, 'a repeated close reports nothing');
    const [s] = await p.states([u]);
    assert.equal(s!.online, false);
    assert.ok(s!.lastSeen! > 0);
  });

  test('a gateway whose lease expires is reaped: its users go offline once, other gateways keep theirs', async () => {
    const [solo, shared] = [user(), user()];
    assert.equal(await p.heartbeat('gw-dead', 1), true, 'first heartbeat');
    assert.equal(await p.heartbeat('gw-live', 60_000), true);
    await p.connect('gw-dead', solo);
    await p.connect('gw-dead', shared);
    await p.connect('gw-live', shared);
    await new Promise((resolve) => setTimeout(resolve, 5)); // let the 1 ms lease lapse
    const [first, second] = await Promise.all([p.reapExpired(), p.reapExpired()]);
    assert.deepEqual([...first, ...second], [solo], 'reported once even with two reapers');
    const states = await p.states([solo, shared]);
    assert.deepEqual(states.map((s) => s.online), [false, true]);
    assert.equal(await r.redis.exists(redisKeys(r.config.keyPrefix).presenceGatewayUsers('gw-dead')), 0, 'no ghost entries');
    assert.equal(await p.heartbeat('gw-dead', 60_000), true, 'a reaped gateway learns it must re-register');
    assert.equal(await p.heartbeat('gw-dead', 60_000), false);
  });

  test('leave drops a gateway at once', async () => {
    const u = user();
    await p.heartbeat('gw-leaving', 60_000);
    await p.connect('gw-leaving', u);
    assert.deepEqual(await p.leave('gw-leaving'), [u]);
    assert.equal((await p.states([u]))[0]!.online, false);
  });

  test('custom status and the online list', async () => {
    const [a, b] = [user(), user()];
    await p.connect('gw-x', a);
    await p.connect('gw-x', b);
    await p.setStatus(a, { text: 'in a meeting', away: true });
    const [sa, sb] = await p.states([a, b]);
    assert.deepEqual(sa!.status, { text: 'in a meeting', away: true });
    assert.equal(sb!.status, null);
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await p.online(1, cursor);
      all.push(...page.users.map((x) => x.userId));
      cursor = page.next ?? undefined;
    } while (cursor);
    assert.ok(all.includes(a) && all.includes(b));
    await p.setStatus(a, null);
    assert.equal((await p.states([a]))[0]!.status, null);
  });
});
