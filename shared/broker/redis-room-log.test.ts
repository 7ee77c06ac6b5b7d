/**
 * RedisRoomLog (the resume and repair window, and the room counters) over
 * real Redis, with messages published by the real publish script: file
 * messages come back with their file, text messages without one, and both
 * make valid `message` frames for replay; pages, single seqs and heads; a
 * missing counter is seeded by a snapshot.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestRedis, type TestRedis } from '../../testkit/redis.js';
import { createTestDatabase, type TestDatabase } from '../../testkit/postgres.js';
import { testMessaging } from '../../testkit/messaging.js';
import type { RedisKeys } from '../redis/keys.js';
import { decodeServerFrame, encodeServerFrame } from '../protocol/codec.js';
import type { FileRef } from '../protocol/frames.js';
import type { MessagePublisher } from '../ports.js';
import type { RedisRoomLog } from './redis-room-log.js';

describe('RedisRoomLog', () => {
  let r: TestRedis;
  let db: TestDatabase;
  let keys: RedisKeys;
  let publisher: MessagePublisher;
  let log: RedisRoomLog;
  const author = { id: crypto.randomUUID(), username: 'alice' };
  const publish = async (room: string, n: number) => {
    for (let i = 0; i < n; i++) await publisher.publish({ room, author, cmid: `p${i}`, kind: 'text', body: `#${i}` });
  };

  before(async () => {
    r = await createTestRedis();
    db = await createTestDatabase();
    const m = testMessaging(r, db);
    keys = m.keys;
    publisher = m.publisher;
    log = m.roomLog;
  });
  after(async () => {
    await r.cleanup();
    await db.drop();
  });

  test('pages run newest first below a bound; get finds one seq; heads read many counters in one go', async () => {
    const [room, other, silent] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await publish(room, 7);
    await publish(other, 2);
    assert.deepEqual((await log.page(room, { limit: 3 })).map((m) => m.seq), [7, 6, 5]);
    assert.deepEqual((await log.page(room, { before: 5, limit: 10 })).map((m) => m.seq), [4, 3, 2, 1]);
    assert.deepEqual(await log.page(room, { before: 1e21, limit: 1 }).then((p) => p.map((m) => m.seq)), [7], 'a bound past the safe integers is the newest page');
    assert.equal((await log.get(room, 4))?.body, '#3');
    assert.equal(await log.get(room, 8), null);
    assert.deepEqual(await log.heads([room, other, silent]), new Map([[room, 7], [other, 2], [silent, null]]));
  });

  test('an entry that is not the room\'s own, or not at its own seq, is skipped rather than misplaced', async () => {
    const room = crypto.randomUUID();
    await publish(room, 2);
    const [[, fields]] = (await r.redis.xrange(keys.roomLog(room), '2-0', '2-0')) as [[string, string[]]];
    // A copy of seq 2 filed under seq 3, and garbage under seq 4.
    await r.redis.xadd(keys.roomLog(room), '3-0', ...fields);
    await r.redis.xadd(keys.roomLog(room), '4-0', 'm', '{not json');
    assert.deepEqual((await log.page(room, { limit: 10 })).map((m) => m.seq), [2, 1]);
  });

  test('a snapshot of a room whose counter is missing seeds it first, past the log', async () => {
    const room = crypto.randomUUID();
    await publish(room, 4);
    await r.redis.del(keys.roomCounter(room));
    const snapshot = await log.since(room, 2);
    assert.equal(snapshot.seq, 4);
    assert.deepEqual(snapshot.messages.map((m) => m.seq), [3, 4]);
    assert.equal(typeof snapshot.epoch, 'string');
    const fresh = await log.since(crypto.randomUUID(), 0);
    assert.deepEqual([fresh.seq, fresh.oldest, fresh.messages], [0, null, []]);
  });

  test('a snapshot replays file messages with their file and text messages without one', async () => {
    const room = crypto.randomUUID();
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
