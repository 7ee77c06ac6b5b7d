import { test } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { ConfigError, loadConfig, setting } from './env.js';
import { PostgresConfig, RedisConfig } from './slices.js';

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
  assert.equal(c.redis.url, 'redis://127.0.0.1:6379');
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

test('an empty variable counts as unset', () => {
  const c = loadConfig(Schema, { SVC_SECRET: 's', SVC_PORT: '' });
  assert.equal(c.svc.port, 9000);
});
