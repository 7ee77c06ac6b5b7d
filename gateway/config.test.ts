import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../shared/config/env.js';
import { loadGatewayConfig } from './config.js';

test('defaults give a working gateway config, sliced per component', () => {
  const c = loadGatewayConfig({});
  assert.equal(c.socket.port, 8081);
  assert.equal(c.socket.maxFrameBytes, 16_384);
  assert.equal(c.auth.jwksUrl, 'http://127.0.0.1:8080/.well-known/jwks.json');
  assert.equal(c.streams.roomLogMaxLen, 1000);
  assert.equal(c.ops.port, 9100);
});

test('a hard payload limit below the soft frame limit is refused at startup', () => {
  assert.throws(
    () => loadGatewayConfig({ GATEWAY_MAX_FRAME_BYTES: '8192', GATEWAY_MAX_PAYLOAD_BYTES: '4096' }),
    (err: unknown) => err instanceof ConfigError && /GATEWAY_MAX_PAYLOAD_BYTES/.test(err.message),
  );
});

test('bad values name their variables', () => {
  assert.throws(
    () => loadGatewayConfig({ GATEWAY_IDLE_TIMEOUT_SECONDS: '2', AUTH_JWKS_URL: 'ftp://x', LOG_LEVEL: 'loud' }),
    (err: unknown) =>
      err instanceof ConfigError && ['GATEWAY_IDLE_TIMEOUT_SECONDS', 'AUTH_JWKS_URL', 'LOG_LEVEL'].every((n) => err.message.includes(n)),
  );
});

test('GATEWAY_HOST and OPS_HOST: every interface by default (containers need it), each settable on its own', () => {
  const defaults = loadGatewayConfig({});
  assert.deepEqual([defaults.socket.host, defaults.ops.host], ['0.0.0.0', '0.0.0.0']);
  const split = loadGatewayConfig({ GATEWAY_HOST: '127.0.0.1', OPS_HOST: '::1' });
  assert.deepEqual([split.socket.host, split.ops.host], ['127.0.0.1', '::1']);
  assert.throws(() => loadGatewayConfig({ GATEWAY_HOST: 'ws://0.0.0.0' }), (e: unknown) => e instanceof ConfigError && /GATEWAY_HOST/.test(e.message));
});

test('the Socket.IO transport: on by default at /socket.io/ with both transports; origins and transports validated', () => {
  const { socketio } = loadGatewayConfig({});
  assert.equal(socketio.enabled, true);
  assert.equal(socketio.path, '/socket.io/');
  assert.deepEqual(socketio.transports, ['polling', 'websocket']);
  assert.deepEqual(socketio.corsOrigins, []);
  const set = loadGatewayConfig({ GATEWAY_SOCKETIO_TRANSPORTS: 'websocket', GATEWAY_SOCKETIO_CORS_ORIGINS: 'https://chat.example.com, http://localhost:8080' });
  assert.deepEqual(set.socketio.transports, ['websocket']);
  assert.deepEqual(set.socketio.corsOrigins, ['https://chat.example.com', 'http://localhost:8080']);
  for (const [name, value] of [
    ['GATEWAY_SOCKETIO_TRANSPORTS', 'carrier-pigeon'],
    ['GATEWAY_SOCKETIO_CORS_ORIGINS', 'chat.example.com/path'],
    ['GATEWAY_SOCKETIO_PATH', 'socket.io'],
  ] as const) {
    assert.throws(() => loadGatewayConfig({ [name]: value }), (e: unknown) => e instanceof ConfigError && e.message.includes(name), name);
  }
});
