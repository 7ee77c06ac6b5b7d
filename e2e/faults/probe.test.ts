/**
 * Delivery-proving health: a gateway whose fan-out stops delivering (here:
 * its Redis frozen with SIGSTOP, so connections stay open and nothing comes
 * back) reports not ready within a few probe intervals, and ready again by
 * itself once delivery works; sockets it kept get live messages again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../../testkit/cluster.js';
import { startRedisServer } from '../../testkit/redis-server.js';
import { eventually } from '../../testkit/processes.js';
import { FAST_ENV, scrape } from './harness.js';

test('a gateway whose pub/sub stops delivering fails /readyz, and recovers by itself', { timeout: 120_000 }, async () => {
  const redis = await startRedisServer();
  const c = await startCluster({ gateways: 1, redisUrl: redis.url, env: FAST_ENV });
  try {
    const readyz = async () => (await fetch(`http://127.0.0.1:${c.gateways[0]!.opsPort}/readyz`)).status;
    const alice = await c.user('alice');
    const ws = await c.connect(0, alice.accessToken);
    const welcome = await ws.next('welcome');
    assert.equal(await readyz(), 200);

    redis.pause();
    try {
      await eventually('/readyz to fail', async () => ((await readyz()) === 503 ? true : undefined), 15_000);
    } finally {
      redis.resume();
    }
    assert.ok((await scrape(c, 'parley_gateway_fanout_probe_failures_total')) >= 3);
    await eventually('/readyz to pass again', async () => ((await readyz()) === 200 ? true : undefined), 30_000);

    // The socket it kept gets live messages again.
    const room = welcome.rooms[0]!;
    const sent = await eventually('a publish to be acked', async () => {
      const ref = `p${Date.now()}`;
      ws.send({ type: 'publish', ref, room, cmid: ref, body: 'after the freeze' });
      const reply = await ws.reply(ref);
      return reply.type === 'ack' ? reply : undefined;
    });
    assert.equal((await ws.next('message', (m) => m.id === sent.id)).body, 'after the freeze');
    await ws.close();
  } finally {
    await c.stop();
    await redis.destroy();
  }
});
