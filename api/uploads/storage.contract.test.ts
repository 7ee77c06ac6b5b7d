/**
 * The upload storage contract against both stores UPLOADS_STORE can choose:
 * local files in a temporary directory, and S3 on a real S3-compatible server
 * (s3rver) with the upload metadata cache in a real Redis under its own prefix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisKeys } from '../../shared/redis/keys.js';
import { createTestRedis } from '../../testkit/redis.js';
import { loadUploadsConfig } from '../config.js';
import { createUploadStorage } from './storage.js';
import { uploadStorageContract } from './storage.contract.js';
import { startTestS3 } from '../../testkit/s3-server.js';

const MIN_S3_PART = 5 * 1024 * 1024;
/** Longer than the suite takes to set up its finished upload, short enough to wait out. */
const EXPIRE_MS = 1500;

uploadStorageContract('file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-storage-'));
  const test = await createTestRedis();
  return {
    storage: createUploadStorage({ config: loadUploadsConfig({ UPLOADS_DIR: dir, UPLOADS_EXPIRE_MS: String(EXPIRE_MS) }), redis: test.redis, keys: redisKeys(test.config.keyPrefix) }),
    unitBytes: 64 * 1024,
    expireAfterMs: EXPIRE_MS,
    async cleanup() {
      await test.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

uploadStorageContract('s3', async () => {
  const s3 = await startTestS3();
  const test = await createTestRedis();
  return {
    storage: createUploadStorage({
      config: loadUploadsConfig({ ...s3.env, UPLOADS_S3_PART_BYTES: String(MIN_S3_PART), UPLOADS_EXPIRE_MS: String(EXPIRE_MS) }),
      redis: test.redis,
      keys: redisKeys(test.config.keyPrefix),
    }),
    unitBytes: MIN_S3_PART,
    expireAfterMs: EXPIRE_MS,
    async cleanup() {
      await test.cleanup();
      await s3.stop();
    },
  };
});
