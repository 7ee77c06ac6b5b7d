/**
 * The startup check of Redis's eviction policy, against redis-servers of the
 * test's own (the shared Redis's configuration is never touched).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startRedisServer, type OwnRedis } from '../../testkit/redis-server.js';
import { checkEvictionPolicy, EvictionPolicyError } from './connect.js';

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
