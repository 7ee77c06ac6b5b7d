/**
 * AnnotatedHistory over real Postgres: edits and tombstones of file messages.
 * An edit changes the caption and keeps the file; a deleted file message is a
 * tombstone that shows nothing of what was deleted, the file included.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope } from '../broker/envelope.js';
import type { FileRef } from '../protocol/frames.js';
import { createTestDatabase, type TestDatabase } from '../../testkit/postgres.js';
import { AnnotatedHistory } from './annotated-history.js';
import { PgMessageStore } from './pg-message-store.js';

describe('AnnotatedHistory with file messages', () => {
  let db: TestDatabase;
  let store: PgMessageStore;
  let history: AnnotatedHistory;

  before(async () => {
    db = await createTestDatabase();
    store = new PgMessageStore(db.sql);
    history = new AnnotatedHistory(db.sql, store);
  });
  after(async () => {
    await db?.drop();
  });

  test('an edited file message keeps its file; a deleted one loses it with its caption', async () => {
    const [row] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'r') returning id`;
    const room = row!.id;
    const [user] = await db.sql<{ id: string }[]>`insert into users (username, password_hash) values ('annie', 'x') returning id`;
    const file = (n: number): FileRef => ({ id: crypto.randomUUID(), name: `f${n}.bin`, size: n, contentType: 'application/octet-stream' });
    const files = [file(1), file(2), file(3)];
    const batch: Envelope[] = files.map((f, i) => ({
      v: 1, id: crypto.randomUUID(), room, seq: i + 1, uid: user!.id, un: 'annie', cmid: `c${i}`, kind: 'file', body: `caption ${i}`, ts: Date.now(), file: f,
    }));
    assert.equal((await store.append(batch)).inserted, 3);
    await db.sql`insert into message_edits (room_id, seq, body, deleted) values (${room}, 1, 'new caption', false), (${room}, 2, '', true)`;

    const page = await history.page(room, { limit: 10 });
    const [third, second, first] = page.messages;
    assert.deepEqual(third?.file, files[2]);
    assert.equal(third?.body, 'caption 2');
    assert.equal(first?.body, 'new caption');
    assert.deepEqual(first?.file, files[0]);
    assert.ok(first?.editedAt);
    assert.equal(second?.deleted, true);
    assert.equal(second?.body, '');
    assert.equal('file' in second!, false);
  });
});
