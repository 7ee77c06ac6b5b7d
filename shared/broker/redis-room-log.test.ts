/**
 * RedisRoomLog (the resume window) over real Redis, with messages published by
 * the real publish script: file messages come back with their file, text
 * messages without one, and both make valid `message` frames for replay.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRedis, type TestRedis } from '../testing/redis.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { registerScripts } from '../redis/scripts.js';
import { decodeServerFrame, encodeServerFrame } from '../protocol/codec.js';
import type { FileRef } from '../protocol/frames.js';
import { RedisPublisher } from './redis-publisher.js';
import { RedisRoomLog } from './redis-room-log.js';

describe('RedisRoomLog', () => {
  let r: TestRedis;
  let keys: RedisKeys;
  let publisher: RedisPublisher;
  let log: RedisRoomLog;

  before(async () => {
    r = await createTestRedis();
    keys = redisKeys(r.config.keyPrefix);
    publisher = new RedisPublisher({
      scripts: registerScripts(r.redis),
      keys,
      config: { roomLogMaxLen: 1000, persistMaxBacklog: 0, dedupTtlSeconds: 60 },
      persistedMaxSeq: async () => 0,
    });
    log = new RedisRoomLog(r.redis, keys);
  });
  after(async () => {
    await r.cleanup();
  });

  test('a snapshot replays file messages with their file and text messages without one', async () => {
    const room = crypto.randomUUID();
    const author = { id: crypto.randomUUID(), username: 'alice' };
    const file: FileRef = { id: crypto.randomUUID(), name: 'notes.txt', size: 11, contentType: 'text/plain; charset=utf-8' };
    await publisher.publish({ room, author, cmid: 'a', kind: 'text', body: 'before' });
    const sent = await publisher.publish({ room, author, cmid: 'b', kind: 'file', body: '', file });
    await publisher.publish({ room, author, cmid: 'c', kind: 'text', body: 'after' });

    const snapshot = await log.since(room, 1);
    assert.equal(snapshot.seq, 3);
    assert.equal(snapshot.oldest, 1);
    assert.deepEqual(
      snapshot.messages.map((m) => [m.seq, m.kind, m.file]),
      [
        [2, 'file', file],
        [3, 'text', undefined],
      ],
    );
    assert.deepEqual(snapshot.messages[0], {
      id: sent.id,
      room,
      seq: 2,
      kind: 'file',
      from: author,
      body: '',
      file,
      cmid: 'b',
      createdAt: new Date(sent.acceptedAt).toISOString(),
    });
    assert.equal('file' in snapshot.messages[1]!, false);
    // What the resume handler sends: valid frames, file intact.
    for (const m of snapshot.messages) {
      const decoded = decodeServerFrame(encodeServerFrame({ type: 'message', ...m }));
      assert.ok(decoded.ok, JSON.stringify(decoded));
      assert.deepEqual(decoded.frame, { type: 'message', ...m });
    }
  });
});
