import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../shared/config/env.js';
import { loadWorkerConfig } from './config.js';

test('OPS_HOST, the worker\'s only listener: every interface by default (containers need it), settable', () => {
  assert.deepEqual(loadWorkerConfig({}).ops, { host: '0.0.0.0', port: 9300 });
  assert.equal(loadWorkerConfig({ OPS_HOST: '127.0.0.1' }).ops.host, '127.0.0.1');
  assert.throws(() => loadWorkerConfig({ OPS_HOST: 'every interface' }), (e: unknown) => e instanceof ConfigError && /OPS_HOST/.test(e.message));
});
