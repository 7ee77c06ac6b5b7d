import { test } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { ConfigError, loadConfig, parsedSlice, setting } from './env.js';
import { PostgresConfig, RedisConfig, opsConfig } from './slices.js';

const Schema = Type.Object({
  redis: RedisConfig,
  postgres: PostgresConfig,
  svc: Type.Object({
    port: setting.integer('SVC_PORT', { default: 9000, minimum: 1, maximum: 65535 }),
    mode: setting.enum('SVC_MODE', ['a', 'b'], { default: 'a' }),
    secret: setting.string('SVC_SECRET'),
    note: setting.optionalString('SVC_NOTE'),
  }),
});

test('defaults apply and strings convert to declared types', () => {
  const c = loadConfig(Schema, { SVC_SECRET: 's', SVC_PORT: '1234', DATABASE_MIGRATE: 'false' });
  assert.equal(c.svc.port, 1234);
  assert.equal(c.svc.mode, 'a');
  assert.equal(c.svc.note, undefined);
  assert.deepEqual(c.redis.topology, { kind: 'single', url: 'redis://127.0.0.1:6379' });
  assert.equal(c.postgres.migrate, false);
});

test('every problem is reported at once, by variable name', () => {
  assert.throws(
    () => loadConfig(Schema, { SVC_PORT: '70000', SVC_MODE: 'c', REDIS_URL: 'http://x', DATABASE_POOL_SIZE: 'many' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const text = err.message;
      for (const name of ['SVC_PORT', 'SVC_MODE', 'SVC_SECRET: required', 'REDIS_URL', 'DATABASE_POOL_SIZE']) {
        assert.ok(text.includes(name), `${name} missing from: ${text}`);
      }
      assert.equal(err.problems.length, 5);
      return true;
    },
  );
});

test('a sensitive setting is never quoted in a problem', () => {
  assert.throws(
    () => loadConfig(Schema, { SVC_SECRET: 's', REDIS_URL: 'http://user:hunter2@x', DATABASE_URL: 'mysql://u:hunter3@db' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /REDIS_URL=\(value not shown\)/);
      assert.match(err.message, /DATABASE_URL=\(value not shown\)/);
      assert.doesNotMatch(err.message, /hunter/);
      return true;
    },
  );
});

test('a parsed slice gets its leaves once they are valid, and its problems join the others', () => {
  const Pair = parsedSlice(
    Type.Object({ low: setting.integer('PAIR_LOW', { default: 1 }), high: setting.integer('PAIR_HIGH', { default: 2 }) }),
    ({ low, high }, problems) => {
      if (low > high) problems.push('PAIR_LOW: must not exceed PAIR_HIGH');
      return { span: high - low };
    },
  );
  const S = Type.Object({ pair: Pair, svc: Type.Object({ port: setting.integer('SVC_PORT', { default: 1 }) }) });
  assert.deepEqual(loadConfig(S, { PAIR_HIGH: '10' }).pair, { span: 9 });
  assert.throws(() => loadConfig(S, { PAIR_LOW: '5', SVC_PORT: 'x' }), (e: unknown) => e instanceof ConfigError && e.problems.length === 2);
  // A leaf problem stops the parser: no follow-on complaints about a value that was never read.
  assert.throws(() => loadConfig(S, { PAIR_LOW: 'x', PAIR_HIGH: '0' }), (e: unknown) => e instanceof ConfigError && e.problems.length === 1);
});

test('an empty variable counts as unset', () => {
  const c = loadConfig(Schema, { SVC_SECRET: 's', SVC_PORT: '' });
  assert.equal(c.svc.port, 9000);
});

test('a host setting takes IPv4 and IPv6 addresses and host names, and refuses anything else by name', () => {
  const Hosts = Type.Object({ listen: Type.Object({ host: setting.host('SVC_HOST', { default: '0.0.0.0' }) }) });
  assert.equal(loadConfig(Hosts, {}).listen.host, '0.0.0.0');
  for (const ok of ['127.0.0.1', '0.0.0.0', '::', '::1', 'fd00::2', 'localhost', 'api.internal']) {
    assert.equal(loadConfig(Hosts, { SVC_HOST: ok }).listen.host, ok);
  }
  for (const bad of ['not a host!', '127.0.0.1:8080', 'http://127.0.0.1', '[::1]', '256.1.1.1.1 x']) {
    assert.throws(() => loadConfig(Hosts, { SVC_HOST: bad }), (e: unknown) => e instanceof ConfigError && /SVC_HOST/.test(e.message), bad);
  }
});

test('OPS_HOST is its own setting: 0.0.0.0 unless set', () => {
  const Ops = Type.Object({ ops: opsConfig(9000) });
  assert.deepEqual(loadConfig(Ops, {}).ops, { host: '0.0.0.0', port: 9000 });
  assert.deepEqual(loadConfig(Ops, { OPS_HOST: '127.0.0.1', OPS_PORT: '9999' }).ops, { host: '127.0.0.1', port: 9999 });
  assert.throws(() => loadConfig(Ops, { OPS_HOST: 'nope nope' }), (e: unknown) => e instanceof ConfigError && /OPS_HOST/.test(e.message));
});
