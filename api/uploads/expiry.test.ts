/** Abandoned uploads expire: the clean-up the api runs periodically deletes them and their metadata. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../testkit/postgres.js';
import { createTestRedis, type TestRedis } from '../../testkit/redis.js';
import { testLogger } from '../../testkit/logger.js';
import { redisKeys } from '../../shared/redis/keys.js';
import { eventually } from '../../testkit/processes.js';
import { RoomRepository } from '../rooms/repository.js';
import { Upload } from '@tus/utils';
import { createUploads, type Uploads } from './wiring.js';
import { loadUploadsConfig } from '../config.js';
import { testMessaging } from '../../testkit/messaging.js';

describe('upload expiry', () => {
  let db: TestDatabase;
  let r: TestRedis;
  let uploads: Uploads;
  const dir = mkdtempSync(join(tmpdir(), 'parley-expiry-'));

  before(async () => {
    db = await createTestDatabase();
    r = await createTestRedis();
    uploads = createUploads({
      config: loadUploadsConfig({ UPLOADS_DIR: dir, UPLOADS_MAX_BYTES: '1024', UPLOADS_EXPIRE_MS: '1000' }),
      publisher: testMessaging(r, db).publisher,
      sql: db.sql,
      redis: r.redis,
      keys: redisKeys(r.config.keyPrefix),
      verify: async () => ({ userId: crypto.randomUUID(), sessionId: crypto.randomUUID(), username: 'x', expiresAt: 0 }),
      rooms: new RoomRepository(db.sql),
      logger: testLogger(),
      trustProxy: false,
    });
  });
  after(async () => {
    uploads.close();
    await r.cleanup();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an unfinished upload past UPLOADS_EXPIRE_MS is deleted with its metadata', async () => {
    await uploads.store.create(new Upload({ id: 'abandoned', size: 100, offset: 0, metadata: {}, creation_date: new Date().toISOString() }));
    assert.deepEqual(readdirSync(dir).sort(), ['abandoned', 'abandoned.json']);
    await eventually('the upload to expire and be cleaned up', async () => ((await uploads.cleanUp()) > 0 ? true : undefined), 10_000);
    assert.deepEqual(readdirSync(dir), []);
  });
});
