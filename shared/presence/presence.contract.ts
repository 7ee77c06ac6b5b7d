/**
 * The Presence port (shared/ports.ts) over a Redis topology: RedisPresence
 * on a connection from connectRedis, as a gateway makes it. Transitions are
 * reported once per user, leases of dead gateways are reaped, reads answer
 * what the writes did. Part of the Redis ports contract
 * (shared/broker/redis-ports.contract.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { testLogger } from '../../testkit/logger.js';
import { connectRedis, type RedisClient } from '../redis/connect.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { registerScripts } from '../redis/scripts.js';
import type { RedisPortsFactory, RedisPortsHarness } from '../broker/redis-ports.contract.js';
import { RedisPresence } from './redis-presence.js';

const user = () => randomUUID();
const gateway = () => `gw-${randomUUID()}`;

export function presenceContract(name: string, make: RedisPortsFactory): void {
  describe(`Presence contract: ${name}`, () => {
    let h: RedisPortsHarness;
    let redis: RedisClient;
    let keys: RedisKeys;
    let p: RedisPresence;

    before(async () => {
      h = await make();
      redis = await connectRedis(h.redis.config, testLogger(), 'contract-presence', { autoPipelining: true });
      keys = redisKeys(h.redis.config.keyPrefix);
      p = new RedisPresence(redis, registerScripts(redis), keys);
    });
    after(async () => {
      redis?.disconnect();
      await h?.cleanup();
    });

    it('a first connect answers the state an online announcement needs, as states() reads it', async () => {
      const [u, plain] = [user(), user()];
      const gw = gateway();
      await p.setStatus(u, { text: 'in a meeting', away: true });
      const before = Date.now();
      const state = await p.connect(gw, u);
      assert.ok(state);
      assert.deepEqual([state.userId, state.online, state.status], [u, true, { text: 'in a meeting', away: true }]);
      assert.ok(state.lastSeen !== null && state.lastSeen >= before && state.lastSeen <= Date.now());
      assert.deepEqual(state, (await p.states([u]))[0]);
      assert.equal((await p.connect(gw, plain))?.status, null);
    });

    it('online on the first socket anywhere, offline after the last; other sockets change nothing', async () => {
      const u = user();
      const [a, b] = [gateway(), gateway()];
      assert.equal((await p.connect(a, u))?.online, true);
      assert.equal(await p.connect(b, u), null, 'a second device on another gateway');
      assert.equal(await p.connect(a, u), null, 'a second tab on the same gateway');
      assert.equal(await p.disconnect(a, u), false);
      assert.equal(await p.disconnect(b, u), false);
      assert.equal((await p.states([u]))[0]!.online, true);
      assert.equal(await p.disconnect(a, u), true);
      assert.equal(await p.disconnect(a, u), false, 'a repeated close reports nothing');
      const [s] = await p.states([u]);
      assert.equal(s!.online, false);
      assert.ok(s!.lastSeen! > 0);
    });

    it('states: one per user asked, in order; a user never seen is offline with no last-seen', async () => {
      const [on, off, never] = [user(), user(), user()];
      const gw = gateway();
      await p.connect(gw, on);
      await p.connect(gw, off);
      await p.disconnect(gw, off);
      const states = await p.states([never, on, off]);
      assert.deepEqual(states.map((s) => [s.userId, s.online]), [[never, false], [on, true], [off, false]]);
      assert.deepEqual(states[0], { userId: never, online: false, lastSeen: null, status: null });
      assert.deepEqual(await p.states([]), []);
    });

    it('a gateway whose lease expires is reaped: its users go offline once, other gateways keep theirs', async () => {
      const [solo, shared] = [user(), user()];
      const [dead, live] = [gateway(), gateway()];
      assert.equal(await p.heartbeat(dead, 1), true, 'first heartbeat');
      assert.equal(await p.heartbeat(live, 60_000), true);
      assert.equal(await p.heartbeat(live, 60_000), false, 'a renewal');
      await p.connect(dead, solo);
      await p.connect(dead, shared);
      await p.connect(live, shared);
      await new Promise((resolve) => setTimeout(resolve, 5)); // let the 1 ms lease lapse
      const [first, second] = await Promise.all([p.reapExpired(), p.reapExpired()]);
      assert.deepEqual([...first, ...second], [solo], 'reported once even with two reapers');
      assert.deepEqual((await p.states([solo, shared])).map((s) => s.online), [false, true]);
      assert.equal(await redis.exists(keys.presenceGatewayUsers(dead)), 0, 'no ghost entries');
      assert.deepEqual(await p.reapExpired(), [], 'nothing left to reap');
      assert.equal(await p.heartbeat(dead, 60_000), true, 'a reaped gateway learns it must re-register');
      assert.equal(await p.heartbeat(dead, 60_000), false);
    });

    it('leave drops a gateway at once, reporting the users that went offline', async () => {
      const [u, elsewhere] = [user(), user()];
      const [leaving, other] = [gateway(), gateway()];
      await p.heartbeat(leaving, 60_000);
      await p.connect(leaving, u);
      await p.connect(leaving, elsewhere);
      await p.connect(other, elsewhere);
      assert.deepEqual(await p.leave(leaving), [u]);
      assert.deepEqual((await p.states([u, elsewhere])).map((s) => s.online), [false, true]);
      assert.equal(await p.heartbeat(leaving, 60_000), true, 'a left gateway registers anew');
    });

    it('custom status, and the online list paged oldest first', async () => {
      const [a, b] = [user(), user()];
      const gw = gateway();
      await p.connect(gw, a);
      await p.connect(gw, b);
      await p.setStatus(a, { text: 'in a meeting', away: true });
      const [sa, sb] = await p.states([a, b]);
      assert.deepEqual(sa!.status, { text: 'in a meeting', away: true });
      assert.equal(sb!.status, null);
      const all: { userId: string; since: number }[] = [];
      let cursor: string | undefined;
      let total = 0;
      do {
        const page = await p.online(1, cursor);
        total = page.total;
        all.push(...page.users);
        cursor = page.next ?? undefined;
      } while (cursor);
      assert.equal(all.length, total);
      assert.deepEqual(all.map((x) => x.since), all.map((x) => x.since).sort((x, y) => x - y), 'oldest first');
      const ids = all.map((x) => x.userId);
      assert.ok(ids.includes(a) && ids.includes(b));
      await p.setStatus(a, null);
      assert.equal((await p.states([a]))[0]!.status, null);
    });
  });
}
