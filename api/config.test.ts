import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../shared/config/env.js';
import { tmpdir } from 'node:os';
import { DEFAULT_WEB_DIR, loadApiConfig } from './config.js';

const base = { DATABASE_URL: 'postgres://127.0.0.1/x', REDIS_URL: 'redis://127.0.0.1:6379', AUTH_KEYS_FILE: '/nonexistent/jwks.json' };

test('uploads default to the local file store', () => {
  assert.equal(loadApiConfig(base).uploads.store, 'file');
});

test('UPLOADS_STORE=s3 without a bucket, or with half a credential pair, fails at startup naming the variables', () => {
  assert.throws(() => loadApiConfig({ ...base, UPLOADS_STORE: 's3' }), (e: unknown) => e instanceof ConfigError && /UPLOADS_S3_BUCKET/.test(e.message));
  assert.throws(
    () => loadApiConfig({ ...base, UPLOADS_STORE: 's3', UPLOADS_S3_BUCKET: 'b', UPLOADS_S3_ACCESS_KEY_ID: 'k' }),
    (e: unknown) => e instanceof ConfigError && /UPLOADS_S3_SECRET_ACCESS_KEY/.test(e.message),
  );
  assert.throws(() => loadApiConfig({ ...base, UPLOADS_STORE: 'ftp' }), (e: unknown) => e instanceof ConfigError && /UPLOADS_STORE/.test(e.message));
});

test('a complete S3 configuration parses', () => {
  const s3 = loadApiConfig({ ...base, UPLOADS_STORE: 's3', UPLOADS_S3_BUCKET: 'files', UPLOADS_S3_FORCE_PATH_STYLE: 'true' }).uploads.s3;
  assert.deepEqual({ bucket: s3.bucket, forcePathStyle: s3.forcePathStyle, partBytes: s3.partBytes }, { bucket: 'files', forcePathStyle: true, partBytes: 8_388_608 });
});

test('API_CORS_ORIGINS: empty by default (same origin only); a list of exact origins; anything else fails naming the variable', () => {
  assert.deepEqual(loadApiConfig(base).web.corsOrigins, []);
  assert.deepEqual(
    loadApiConfig({ ...base, API_CORS_ORIGINS: 'https://chat.example.com, http://127.0.0.1:5173' }).web.corsOrigins,
    ['https://chat.example.com', 'http://127.0.0.1:5173'],
  );
  for (const bad of ['chat.example.com', 'https://chat.example.com/', 'https://chat.example.com/app', 'ftp://x.example.com', '*', 'https://Chat.example.com', 'https://chat.example.com:443']) {
    assert.throws(
      () => loadApiConfig({ ...base, API_CORS_ORIGINS: `https://ok.example.com,${bad}` }),
      (e: unknown) => e instanceof ConfigError && /API_CORS_ORIGINS/.test(e.message),
      bad,
    );
  }
});

test('API_WEB_DIR: unset is the built web/dist when present, empty serves none, a missing directory fails', () => {
  assert.equal(loadApiConfig({ ...base, API_WEB_DIR: '' }).web.webDir, null);
  const dir = loadApiConfig(base).web.webDir;
  assert.ok(dir === null || dir === DEFAULT_WEB_DIR);
  assert.equal(loadApiConfig({ ...base, API_WEB_DIR: tmpdir() }).web.webDir, tmpdir());
  assert.throws(() => loadApiConfig({ ...base, API_WEB_DIR: '/nonexistent/web' }), (e: unknown) => e instanceof ConfigError && /API_WEB_DIR/.test(e.message));
});

test('API_WEB_CONNECT_SRC and API_PUBLIC_WS_URL are checked', () => {
  const web = loadApiConfig(base).web;
  assert.equal(web.connectSrc, "'self' ws: wss:");
  assert.equal(web.publicWsUrl, null);
  assert.equal(loadApiConfig({ ...base, API_PUBLIC_WS_URL: 'wss://chat.example.com/v1/ws' }).web.publicWsUrl, 'wss://chat.example.com/v1/ws');
  for (const bad of ['https://chat.example.com/v1/ws', 'not a url', 'wss://user:pw@chat.example.com/v1/ws']) {
    assert.throws(() => loadApiConfig({ ...base, API_PUBLIC_WS_URL: bad }), (e: unknown) => e instanceof ConfigError && /API_PUBLIC_WS_URL/.test(e.message), bad);
  }
  assert.throws(() => loadApiConfig({ ...base, API_WEB_CONNECT_SRC: "'self'; script-src *" }), (e: unknown) => e instanceof ConfigError && /API_WEB_CONNECT_SRC/.test(e.message));
});

test('API_HOST and OPS_HOST: every interface by default (containers need it), each settable on its own', () => {
  const defaults = loadApiConfig(base);
  assert.equal(defaults.http.host, '0.0.0.0');
  assert.equal(defaults.ops.host, '0.0.0.0');
  const split = loadApiConfig({ ...base, API_HOST: '127.0.0.1', OPS_HOST: '10.0.0.5' });
  assert.deepEqual([split.http.host, split.ops.host], ['127.0.0.1', '10.0.0.5']);
  assert.equal(loadApiConfig({ ...base, API_HOST: '::' }).http.host, '::');
  assert.throws(() => loadApiConfig({ ...base, API_HOST: '127.0.0.1:8080' }), (e: unknown) => e instanceof ConfigError && /API_HOST/.test(e.message));
});

test('API_RATE_LIMIT_*: explicit defaults, 0 turns a limit off, negative values fail by name', () => {
  assert.deepEqual(loadApiConfig(base).rateLimit, { windowMs: 60_000, authPerIp: 60, authPerUsername: 10, writesPerUser: 300 });
  const off = loadApiConfig({ ...base, API_RATE_LIMIT_AUTH_PER_IP: '0', API_RATE_LIMIT_AUTH_PER_USERNAME: '0', API_RATE_LIMIT_WRITES_PER_USER: '0' }).rateLimit;
  assert.deepEqual([off.authPerIp, off.authPerUsername, off.writesPerUser], [0, 0, 0]);
  assert.throws(
    () => loadApiConfig({ ...base, API_RATE_LIMIT_WRITES_PER_USER: '-1', API_RATE_LIMIT_WINDOW_MS: '10' }),
    (e: unknown) => e instanceof ConfigError && /API_RATE_LIMIT_WRITES_PER_USER/.test(e.message) && /API_RATE_LIMIT_WINDOW_MS/.test(e.message),
  );
});
