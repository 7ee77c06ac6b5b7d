import { test } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { ConfigError, loadConfig } from './env.js';
import { RedisConfig } from './slices.js';
import { describeRedisTopology, parseAddresses } from './redis-topology.js';

const Schema = Type.Object({ redis: RedisConfig });
const load = (env: Record<string, string>) => loadConfig(Schema, env).redis;

/** The problems loading `env` reports (fails if it loads). */
function problems(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail(`loaded: ${JSON.stringify(env)}`);
}

test('nothing set: one node on the local Redis, and the other Redis settings as before', () => {
  const c = load({});
  assert.deepEqual(c.topology, { kind: 'single', url: 'redis://127.0.0.1:6379' });
  assert.equal(c.keyPrefix, 'parley:');
  assert.equal(c.commandTimeoutMs, 5000);
  assert.equal('url' in c, false, 'only the topology says where Redis is');
});

test('REDIS_URL: one node; REDIS_USERNAME/REDIS_PASSWORD unless the URL has credentials', () => {
  assert.deepEqual(load({ REDIS_URL: 'rediss://redis.internal:6380/2' }).topology, { kind: 'single', url: 'rediss://redis.internal:6380/2' });
  assert.deepEqual(load({ REDIS_URL: 'redis://r:6379', REDIS_USERNAME: 'parley', REDIS_PASSWORD: 'pw' }).topology, {
    kind: 'single',
    url: 'redis://r:6379',
    username: 'parley',
    password: 'pw',
  });
  const found = problems({ REDIS_URL: 'redis://:secret1@r:6379', REDIS_PASSWORD: 'secret2' });
  assert.deepEqual(found, ['REDIS_PASSWORD: REDIS_URL carries a password already; set one or the other']);
  assert.match(problems({ REDIS_URL: 'redis://r', REDIS_TLS: 'true' })[0]!, /REDIS_TLS: .*rediss:\/\//);
});

test('REDIS_SENTINELS with REDIS_SENTINEL_NAME: the Sentinel form, default port 26379, both credential pairs', () => {
  const c = load({
    REDIS_SENTINELS: 'sentinel-0.sentinel:26379, 10.0.0.2:26380,[fd00::3],sentinel_3',
    REDIS_SENTINEL_NAME: 'parley',
    REDIS_SENTINEL_PASSWORD: 'sp',
    REDIS_PASSWORD: 'dp',
    REDIS_TLS: 'true',
  });
  assert.deepEqual(c.topology, {
    kind: 'sentinel',
    name: 'parley',
    sentinels: [
      { host: 'sentinel-0.sentinel', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: 'fd00::3', port: 26379 },
      { host: 'sentinel_3', port: 26379 },
    ],
    sentinelPassword: 'sp',
    password: 'dp',
    tls: true,
  });
  assert.equal(describeRedisTopology(c.topology), 'Sentinel primary "parley" via sentinel-0.sentinel:26379, 10.0.0.2:26380, [fd00::3]:26379, sentinel_3:26379');
});

test('REDIS_CLUSTER_NODES: parsed and checked', () => {
  assert.deepEqual(load({ REDIS_CLUSTER_NODES: 'r1:7000,r2' }).topology, {
    kind: 'cluster',
    nodes: [{ host: 'r1', port: 7000 }, { host: 'r2', port: 6379 }],
    tls: false,
  });
  assert.match(problems({ REDIS_CLUSTER_NODES: 'r1:70000' })[0]!, /REDIS_CLUSTER_NODES: "r1:70000" is not host:port/);
});

test('exactly one topology: two forms, a Sentinel without its name, or Sentinel settings alone fail fast, by name', () => {
  assert.deepEqual(problems({ REDIS_URL: 'redis://r', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'p' }), [
    'REDIS_URL, REDIS_SENTINELS: set exactly one of REDIS_URL (one node), REDIS_SENTINELS (Sentinel) or REDIS_CLUSTER_NODES (Cluster)',
  ]);
  assert.match(problems({ REDIS_SENTINELS: 's1,s2', REDIS_CLUSTER_NODES: 'c1' })[0]!, /^REDIS_SENTINELS, REDIS_CLUSTER_NODES: set exactly one/);
  assert.match(problems({ REDIS_SENTINELS: 's1' })[0]!, /^REDIS_SENTINEL_NAME: required with REDIS_SENTINELS/);
  assert.deepEqual(problems({ REDIS_SENTINEL_NAME: 'p', REDIS_SENTINEL_PASSWORD: 'x' }), [
    'REDIS_SENTINEL_NAME: only used with REDIS_SENTINELS',
    'REDIS_SENTINEL_PASSWORD: only used with REDIS_SENTINELS',
  ]);
  assert.match(problems({ REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'has space' })[0]!, /^REDIS_SENTINEL_NAME=/);
});

test('no problem quotes a password', () => {
  const secret = 'hunter2-very-secret';
  const envs: Record<string, string>[] = [
    { REDIS_URL: `http://u:${secret}@r` },
    { REDIS_URL: `redis://u:${secret}@r`, REDIS_PASSWORD: secret },
    { REDIS_SENTINEL_PASSWORD: secret },
    { REDIS_SENTINELS: 's1', REDIS_SENTINEL_PASSWORD: secret, REDIS_PASSWORD: secret, REDIS_URL: `redis://:${secret}@r` },
  ];
  for (const env of envs) {
    for (const p of problems(env)) assert.ok(!p.includes(secret), p);
  }
  assert.equal(describeRedisTopology({ kind: 'single', url: `redis://u:${secret}@r:6379/1` }), 'redis://r:6379/1');
});

test('address lists: host names, IPv4, bracketed IPv6, default ports; junk, duplicates and empty lists refused', () => {
  const found: string[] = [];
  assert.deepEqual(parseAddresses('X', 'a:1,127.0.0.1,[::1]:2', 9, found), [
    { host: 'a', port: 1 },
    { host: '127.0.0.1', port: 9 },
    { host: '::1', port: 2 },
  ]);
  assert.deepEqual(found, []);
  for (const bad of ['::1', 'a:b', 'a:0', 'http://a:1', 'a b', '[x]:1', '-a']) {
    const p: string[] = [];
    parseAddresses('X', bad, 9, p);
    assert.equal(p.length, 1, bad);
  }
  const dup: string[] = [];
  parseAddresses('X', 'a:1, a:1', 9, dup);
  assert.deepEqual(dup, ['X: a:1 is listed twice']);
  const empty: string[] = [];
  parseAddresses('X', ' , ', 9, empty);
  assert.deepEqual(empty, ['X: at least one host:port']);
});
