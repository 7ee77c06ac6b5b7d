/**
 * The connection factory and the startup check of Redis's eviction policy,
 * against redis-servers and a Sentinel setup of the test's own (the shared
 * Redis's configuration is never touched).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Redis, type Cluster } from 'ioredis';
import { startRedisServer, type OwnRedis } from '../../testkit/redis-server.js';
import { startRedisSentinel, type OwnSentinel } from '../../testkit/redis-sentinel.js';
import { eventually, freePort } from '../../testkit/processes.js';
import type { RedisTopology } from '../config/redis-topology.js';
import { checkEvictionPolicy, connectRedis, DependencyUnavailableError, EvictionPolicyError, isCluster } from './connect.js';
import { startRedisCluster, type OwnCluster } from '../../testkit/redis-cluster.js';

describe('checkEvictionPolicy', () => {
  let evicting: OwnRedis;
  let safe: OwnRedis;
  before(async () => {
    [evicting, safe] = await Promise.all([
      startRedisServer({ args: ['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru'] }),
      startRedisServer(),
    ]);
  });
  after(async () => {
    await Promise.all([evicting.destroy(), safe.destroy()]);
  });

  test('noeviction passes quietly', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
    assert.equal(await checkEvictionPolicy(safe.client(), 'refuse', logger), 'noeviction');
    assert.deepEqual(lines, []);
  });

  test('an evicting policy is a warning by default, a refusal with refuse, and unchecked with off', async () => {
    const lines: { msg: string; policy: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; policy: string }) });
    assert.equal(await checkEvictionPolicy(evicting.client(), 'warn', logger), 'allkeys-lru');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.policy, 'allkeys-lru');
    assert.match(lines[0]!.msg, /needs noeviction/);
    await assert.rejects(checkEvictionPolicy(evicting.client(), 'refuse', logger), (err: unknown) => {
      assert.ok(err instanceof EvictionPolicyError);
      assert.match(err.message, /maxmemory-policy is allkeys-lru/);
      return true;
    });
    assert.equal(await checkEvictionPolicy(evicting.client(), 'off', logger), null);
  });
});

describe('connectRedis topologies', () => {
  const quiet = pino({ level: 'silent' });

  test('no Redis Cluster node reachable: startup fails, naming the nodes and what to check', async () => {
    const port = await freePort();
    await assert.rejects(
      connectRedis({ topology: { kind: 'cluster', nodes: [{ host: '127.0.0.1', port }], password: 'hunter2', tls: false } }, quiet, 'test'),
      (err: unknown) => {
        assert.ok(err instanceof DependencyUnavailableError);
        assert.match(err.message, /REDIS_CLUSTER_NODES/);
        assert.doesNotMatch(err.message, /hunter/);
        return true;
      },
    );
  });

  test('no sentinel reachable: startup fails at once, naming the sentinels and never a password', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(
      connectRedis({ topology: { kind: 'sentinel', name: 'parley', sentinels: [{ host: '127.0.0.1', port }], password: 'hunter2', sentinelPassword: 'hunter3', tls: false } }, quiet, 'test'),
      (err: unknown) => {
        assert.ok(err instanceof DependencyUnavailableError);
        assert.match(err.message, new RegExp(`Sentinel primary "parley" via 127.0.0.1:${port}`));
        // ioredis's sentinel client reports a refused connect as "Connection is closed".
        assert.match(err.message, new RegExp(`failed to connect to sentinel 127.0.0.1:${port} because`));
        assert.match(err.message, /REDIS_SENTINEL_NAME/);
        assert.doesNotMatch(err.message, /hunter/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000, 'no retrying forever at startup');
  });

  describe('through Sentinel', () => {
    let setup: OwnSentinel;
    before(async () => {
      setup = await startRedisSentinel();
    });
    after(async () => {
      await setup.destroy();
    });

    test('a name the sentinels do not monitor fails startup with what they answered', async () => {
      const topology = { ...setup.topology, name: 'no-such-primary' } as RedisTopology;
      await assert.rejects(connectRedis({ topology }, quiet, 'test'), (err: unknown) => {
        assert.ok(err instanceof DependencyUnavailableError);
        assert.match(err.message, /No such master with that name/);
        return true;
      });
    });

    test('connects to the primary; after a failover, commands and subscriptions go on without a new client', { timeout: 60_000 }, async () => {
      const config = { topology: setup.topology, commandTimeoutMs: 2000 };
      const redis = await connectRedis(config, quiet, 'test');
      const subscriber = await connectRedis(config, quiet, 'test-sub');
      try {
        const old = await setup.primary();
        await redis.set('sentinel-test:key', 'v1');
        assert.equal(await old.client().get('sentinel-test:key'), 'v1', 'the write went to the primary');
        const received: string[] = [];
        subscriber.on('message', (_channel: string, payload: string) => received.push(payload));
        await subscriber.subscribe('sentinel-test:channel');
        let readies = 0;
        subscriber.on('ready', () => readies++);

        // A graceful failover: the old primary stays up and becomes a replica.
        const sentinel = new Redis({ host: '127.0.0.1', port: setup.sentinelPorts[0]! });
        try {
          assert.equal(await sentinel.call('SENTINEL', 'FAILOVER', setup.name), 'OK');
        } finally {
          sentinel.disconnect();
        }
        const promoted = (await setup.failedOver(old)).client();

        // Writes reach the new primary through the same client (a READONLY answer from the demoted one reconnects).
        await eventually('a write through the same client to land on the new primary', async () => {
          await redis.set('sentinel-test:key', 'v2').catch(() => undefined);
          return (await promoted.get('sentinel-test:key')) === 'v2' ? true : undefined;
        }, 30_000);
        // The subscriber reconnected to the new primary and subscribed again by itself (not
        // merely still on the old one, which, as a replica, would relay the new primary's PUBLISHes).
        await eventually('the subscriber to be subscribed on the new primary', async () => {
          const clients = (await promoted.client('LIST')) as string;
          return clients.split('\n').some((line) => line.includes('name=test-sub') && / sub=1 /.test(line)) ? true : undefined;
        }, 30_000);
        await eventually('a message published on the new primary to arrive', async () => {
          await promoted.publish('sentinel-test:channel', 'after');
          return received.includes('after') ? true : undefined;
        }, 30_000);
        assert.ok(readies >= 1, 'the subscriber reconnected');
      } finally {
        redis.disconnect();
        subscriber.disconnect();
      }
    });

    test('a frozen primary keeps its connections, but the sentinels\' switch moves them to the new one', { timeout: 60_000 }, async () => {
      const config = { topology: setup.topology, commandTimeoutMs: 1000 };
      const redis = await connectRedis(config, quiet, 'frozen-test');
      const subscriber = await connectRedis(config, quiet, 'frozen-test-sub');
      const old = await setup.primary();
      try {
        await subscriber.subscribe('frozen-test:channel');
        // Frozen: its sockets stay open and nothing answers, so nothing but the switch moves the clients.
        old.pause();
        const promoted = (await setup.failedOver(old)).client();
        await eventually('a write through the same client to land on the new primary', async () => {
          await redis.set('frozen-test:key', 'moved').catch(() => undefined);
          return (await promoted.get('frozen-test:key')) === 'moved' ? true : undefined;
        }, 20_000);
        await eventually('the subscriber to be subscribed on the new primary', async () => {
          const clients = (await promoted.client('LIST')) as string;
          return clients.split('\n').some((line) => line.includes('name=frozen-test-sub') && / sub=1 /.test(line)) ? true : undefined;
        }, 20_000);
      } finally {
        old.resume();
        redis.disconnect();
        subscriber.disconnect();
      }
    });
  });

  describe('Redis Cluster', () => {
    let cluster: OwnCluster;
    before(async () => {
      cluster = await startRedisCluster();
    });
    after(async () => {
      await cluster.destroy();
    });

    test('connects from one seed node; keys of every partition land on their shards; each primary\'s eviction policy is checked', { timeout: 30_000 }, async () => {
      const seedOnly: RedisTopology = { kind: 'cluster', nodes: [{ host: '127.0.0.1', port: cluster.nodes[1]!.port }], tls: false };
      const redis = await connectRedis({ topology: seedOnly }, quiet, 'test');
      try {
        assert.ok(isCluster(redis));
        for (let p = 0; p < 8; p++) await redis.set(`{p${p}}:connect-test`, String(p));
        for (let p = 0; p < 8; p++) assert.equal(await redis.get(`{p${p}}:connect-test`), String(p));
        // Every primary holds some of the partitions.
        const counts = await Promise.all(cluster.nodes.map((n) => n.client().dbsize()));
        assert.ok(counts.every((c) => c > 0), `keys per primary: ${counts.join(',')}`);
        assert.equal(await checkEvictionPolicy(redis, 'refuse', quiet), 'noeviction');
        await cluster.nodes[2]!.client().config('SET', 'maxmemory-policy', 'allkeys-lru');
        await assert.rejects(checkEvictionPolicy(redis, 'refuse', quiet), EvictionPolicyError);
        await cluster.nodes[2]!.client().config('SET', 'maxmemory-policy', 'noeviction');
      } finally {
        redis.disconnect();
      }
    });

    // ioredis re-arms the slotsRefreshInterval round from the callback of a
    // refresh in flight at the close; without the guard in createRedis the
    // rounds go on every 2 s and hold the process open. After disconnect()
    // the client's status goes back from `end` to `close`, so the guard
    // cannot go by the status (both closes are tested).
    for (const close of ['quit', 'disconnect'] as const) {
      test(`a client closed (${close}) while its periodic slot refresh is in flight asks for no more rounds (its process can exit)`, { timeout: 30_000 }, async () => {
        const redis = await connectRedis({ topology: cluster.topology }, quiet, 'test-refresh');
        assert.ok(isCluster(redis));
        const counts = await closeDuringRound(redis, () => (close === 'quit' ? redis.quit() : redis.disconnect()));
        // Two intervals (2 s each) and some: ioredis alone would have started two more rounds.
        await new Promise((r) => setTimeout(r, 5000));
        assert.ok(['close', 'end'].includes(redis.status), redis.status);
        // The round armed by the one in flight at the close may still ask once; it is refused and arms no other.
        assert.ok(counts.afterClose <= 1, `refresh rounds asked for after the client closed: ${counts.afterClose}`);
      });
    }

    test('a client disconnected and then connected again reads the slot map every interval again', { timeout: 30_000 }, async () => {
      const redis = await connectRedis({ topology: cluster.topology }, quiet, 'test-refresh-again');
      assert.ok(isCluster(redis));
      try {
        // Disconnect with the first round in flight, so that the guard stops the rounds.
        const counts = await closeDuringRound(redis, () => redis.disconnect());
        await new Promise((r) => setTimeout(r, 2500));
        await redis.connect();
        const before = counts.rounds;
        await eventually('periodic rounds after the reconnect', async () => (counts.rounds >= before + 2 ? true : undefined), 10_000);
        assert.equal(await redis.set('{p0}:again', '1'), 'OK');
      } finally {
        redis.disconnect();
      }
    });
  });
});

/**
 * Closes a Cluster client with `close` while its first periodic slot-map
 * round is in flight (the interval's round is the only caller with a
 * callback in these tests), and counts its refresh calls from then on: every
 * call after the close, and every periodic round.
 */
async function closeDuringRound(redis: Cluster, close: () => Promise<unknown> | void): Promise<{ afterClose: number; rounds: number }> {
  const counts = { afterClose: 0, rounds: 0 };
  let closed = false;
  const refresh = redis.refreshSlotsCache.bind(redis);
  await new Promise<void>((resolve, reject) => {
    redis.refreshSlotsCache = (callback) => {
      if (closed) counts.afterClose++;
      if (callback) counts.rounds++;
      refresh(callback);
      if (callback && !closed && redis.status === 'ready') {
        closed = true;
        Promise.resolve(close()).then(() => resolve(), reject);
      }
    };
  });
  return counts;
}
