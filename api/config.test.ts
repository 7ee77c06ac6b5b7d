import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../shared/config/env.js';
import { loadApiConfig } from './config.js';

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
