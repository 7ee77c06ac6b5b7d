/**
 * MergedHistory over real Redis and Postgres: messages published with the
 * real publish script are in history before any worker ran; Postgres serves
 * what the log no longer holds; a message in both appears once; paging and
 * nextBefore match the Postgres-only store for persisted rooms; bad log
 * entries are skipped; a failing or silent Redis leaves Postgres's answer.
 * (What every History does is in history.contract.ts.)
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { decodeEnvelope, envelopeToMessage, type Envelope } from '../broker/envelope.js';
import { RedisRoomLog } from '../broker/redis-room-log.js';
import type { Messaging } from '../broker/wiring.js';
import type { Logger } from '../log.js';
import type { HistoryPage } from '../ports.js';
import type { FileRef } from '../protocol/frames.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { testMessaging } from '../../testkit/messaging.js';
import { createTestDatabase, type TestDatabase } from '../../testkit/postgres.js';
import { createTestRedis, type TestRedis } from '../../testkit/redis.js';
import { MergedHistory } from './merged-history.js';
import { PgMessageStore } from './pg-message-store.js';

/** A logger that keeps its lines, so tests can assert on warnings. */
function recordingLogger(): { logger: Logger; lines: { msg: string; level: number }[] } {
  const lines: { msg: string; level: number }[] = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; level: number }) });
  return { logger, lines };
}

const seqs = (p: HistoryPage) => p.messages.map((m) => m.seq);
/** History reads pages only; it never needs a counter seeded. */
const noSeed = async () => {
  throw new Error('history does not seed counters');
};

describe('MergedHistory', () => {
  let r: TestRedis;
  let db: TestDatabase;
  let keys: RedisKeys;
  let store: PgMessageStore;
  let publisher: Messaging['publisher'];
  let history: MergedHistory;
  let log: ReturnType<typeof recordingLogger>;
  let room: string;
  let author: { id: string; username: string };

  const publish = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await publisher.publish({ room, author, cmid: crypto.randomUUID(), kind: 'text', body: `message ${i}` });
    }
  };
  /** Every envelope in the room's log, oldest first. */
  const logged = async (): Promise<Envelope[]> =>
    (await r.redis.xrange(keys.roomLog(room), '-', '+')).map(([, f]) => decodeEnvelope(f[1]!)!);
  /** Stands in for the worker: writes the logged messages with these seqs to Postgres. */
  const persist = async (which: (seq: number) => boolean = () => true) => {
    const batch = (await logged()).filter((e) => which(e.seq));
    assert.equal((await store.append(batch)).inserted, batch.length);
  };

  before(async () => {
    r = await createTestRedis();
    db = await createTestDatabase();
    keys = redisKeys(r.config.keyPrefix);
    store = new PgMessageStore(db.sql);
    publisher = testMessaging(r, db).publisher;
  });
  after(async () => {
    await r?.cleanup();
    await db?.drop();
  });
  beforeEach(async () => {
    const [row] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'r') returning id`;
    room = row!.id;
    const name = `u${crypto.randomUUID().slice(0, 8)}`;
    const [user] = await db.sql<{ id: string }[]>`insert into users (username, password_hash) values (${name}, 'x') returning id`;
    author = { id: user!.id, username: name };
    log = recordingLogger();
    history = new MergedHistory({ durable: store, roomLog: new RedisRoomLog(r.redis, keys, noSeed, log.logger), logger: log.logger });
  });

  test('acked messages the worker never persisted are in history, newest first, as published', async () => {
    await publish(5);
    assert.equal(await store.maxSeq(room), 0, 'nothing is in Postgres');
    const page = await history.page(room, { limit: 50 });
    assert.deepEqual(page, { messages: (await logged()).map(envelopeToMessage).reverse(), nextBefore: null, gaps: [] });
    assert.deepEqual(await history.page(room, { limit: 2, before: 5 }), {
      messages: (await logged()).slice(2, 4).map(envelopeToMessage).reverse(),
      nextBefore: 3,
      gaps: [],
    });
  });

  test('messages no longer in the log come from Postgres', async () => {
    await publish(5);
    await persist();
    await r.redis.del(keys.roomLog(room));
    const expected = await store.page(room, { limit: 50 });
    assert.deepEqual(seqs(expected), [5, 4, 3, 2, 1]);
    assert.deepEqual(await history.page(room, { limit: 50 }), expected);
  });

  test('a message in both the log and Postgres appears once, as Postgres has it', async () => {
    await publish(4);
    await persist();
    // Deleting the author clears author_id in Postgres only: it tells which copy was served.
    await db.sql`delete from users where id = ${author.id}`;
    const page = await history.page(room, { limit: 50 });
    assert.deepEqual(page, await store.page(room, { limit: 50 }));
    assert.deepEqual(seqs(page), [4, 3, 2, 1]);
    assert.ok(page.messages.every((m) => m.from.id !== author.id && m.from.username === author.username));
  });

  test('before and limit mean, and nextBefore is, exactly what the Postgres-only store answers for a persisted room', async () => {
    await publish(8);
    await persist();
    const bounds = [undefined, 1, 2, 3, 5, 8, 9, 1000, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2];
    for (const limit of [1, 2, 3, 7, 8, 9, 100]) {
      for (const b of bounds) {
        const options = { before: b, limit };
        assert.deepEqual(await history.page(room, options), await store.page(room, options), JSON.stringify(options));
      }
    }
    // The same with the log gone: the answers must not depend on where a message is read from.
    await r.redis.del(keys.roomLog(room));
    for (const limit of [1, 3, 8, 9]) {
      for (const b of bounds) {
        const options = { before: b, limit };
        assert.deepEqual(await history.page(room, options), await store.page(room, options), JSON.stringify(options));
      }
    }
  });

  test('a file message is in history with its file, from the log and from Postgres alike; text messages have none', async () => {
    const file: FileRef = { id: crypto.randomUUID(), name: 'Q3 "plan" ✓.xlsx', size: 98_765, contentType: 'application/vnd.ms-excel' };
    await publish(1);
    const sent = await publisher.publish({ room, author, cmid: 'the-file', kind: 'file', body: 'numbers', file });
    await publish(1);
    const expectFiles = (page: HistoryPage) => {
      assert.deepEqual(
        page.messages.map((m) => [m.seq, m.kind, m.file]),
        [
          [3, 'text', undefined],
          [2, 'file', file],
          [1, 'text', undefined],
        ],
      );
      assert.ok(page.messages.filter((m) => m.kind === 'text').every((m) => !('file' in m)));
      assert.equal(page.messages[1]!.id, sent.id);
    };

    // Before any worker ran: from the log alone.
    const fromLog = await history.page(room, { limit: 50 });
    expectFiles(fromLog);
    assert.deepEqual(fromLog.messages, (await logged()).map(envelopeToMessage).reverse());

    const envelopes = await logged();
    await persist();
    const rows = await db.sql<{ seq: number; kind: string; attachment: FileRef | null }[]>`
      select seq, kind, attachment from messages where room_id = ${room} order by seq
    `;
    assert.deepEqual(rows.map((r) => [r.seq, r.kind, r.attachment]), [
      [1, 'text', null],
      [2, 'file', file],
      [3, 'text', null],
    ]);
    // Postgres-only, and merged with both copies present: the same messages.
    const durable = await store.page(room, { limit: 50 });
    expectFiles(durable);
    assert.deepEqual(durable.messages, fromLog.messages);
    assert.deepEqual(await history.page(room, { limit: 50 }), durable);
    await r.redis.del(keys.roomLog(room));
    assert.deepEqual(await history.page(room, { limit: 50 }), durable);
    // Appending the same batch again changes nothing, file messages included.
    assert.deepEqual(await store.append(envelopes), { inserted: 0, duplicates: 3, conflicts: [], dropped: 0 });
    assert.deepEqual(await store.page(room, { limit: 50 }), durable);
  });

  /** Pages through the whole history with `limit`, checking each page's shape; returns every message seen. */
  const walk = async (limit: number) => {
    const seen: HistoryPage['messages'] = [];
    let before: number | undefined;
    for (;;) {
      const page = await history.page(room, { before, limit });
      seen.push(...page.messages);
      if (page.nextBefore === null) {
        assert.equal(page.messages.at(-1)?.seq ?? 1, 1, 'only the page reaching seq 1 (or an empty one) ends the walk');
        return seen;
      }
      assert.equal(page.nextBefore, page.messages.at(-1)!.seq);
      before = page.nextBefore;
    }
  };

  test('pages across the boundary between the log and Postgres are whole, in order and without duplicates', async () => {
    await publish(30);
    const all = (await logged()).map(envelopeToMessage).reverse();
    // The worker wrote 1..22 except 20, and 25 out of order; then the log was
    // trimmed to its newest 12 (19..30). So 1..18 are only in Postgres, 19, 21,
    // 22 and 25 in both, and 20, 23, 24, 26..30 only in the log.
    await persist((seq) => (seq <= 22 && seq !== 20) || seq === 25);
    await r.redis.xtrim(keys.roomLog(room), 'MAXLEN', 12);
    assert.deepEqual((await logged()).map((e) => e.seq), Array.from({ length: 12 }, (_, i) => 19 + i));
    for (const limit of [1, 4, 7, 11, 12, 13, 30, 100]) {
      const seen = await walk(limit);
      assert.deepEqual(seen.map((m) => m.seq), all.map((m) => m.seq), `limit ${limit}`);
      assert.deepEqual(seen, all, `limit ${limit}`);
    }
    assert.deepEqual(seqs(await history.page(room, { before: 25, limit: 8 })), [24, 23, 22, 21, 20, 19, 18, 17]);
  });

  test('a worker behind by more than the log window leaves a hole, but paging goes on past it', async () => {
    // The documented limit of read-your-writes: 11..18 are trimmed from the
    // log and not yet persisted, so no source has them. History must still
    // serve everything around them, and a walk must not stop at the hole.
    await publish(30);
    await persist((seq) => seq <= 10);
    await r.redis.xtrim(keys.roomLog(room), 'MAXLEN', 12);
    const expected = [...Array.from({ length: 12 }, (_, i) => 30 - i), ...Array.from({ length: 10 }, (_, i) => 10 - i)];
    for (const limit of [5, 12, 50]) assert.deepEqual((await walk(limit)).map((m) => m.seq), expected, `limit ${limit}`);
  });

  test('log entries that are not valid envelopes for their place are skipped, with a warning', async () => {
    await publish(3);
    const [good] = await logged();
    const key = keys.roomLog(room);
    await r.redis.xadd(key, '4-0', 'm', 'not json');
    await r.redis.xadd(key, '5-0', 'other', JSON.stringify({ ...good, seq: 5 }));
    await r.redis.xadd(key, '6-0', 'm', JSON.stringify({ ...good, seq: 6, v: 2 }));
    await r.redis.xadd(key, '7-0', 'm', JSON.stringify({ ...good, seq: 8 }));
    await r.redis.xadd(key, '8-0', 'm', JSON.stringify({ ...good, seq: 8, room: crypto.randomUUID() }));
    const page = await history.page(room, { limit: 50 });
    assert.deepEqual(page, { messages: (await logged()).slice(0, 3).map(envelopeToMessage).reverse(), nextBefore: null, gaps: [] });
    assert.ok(log.lines.some((l) => l.msg === 'undecodable room log entries skipped'), JSON.stringify(log.lines));
  });

  test('the room id is matched case-insensitively, as Postgres matches it', async () => {
    await publish(2);
    assert.deepEqual(seqs(await history.page(room.toUpperCase(), { limit: 50 })), [2, 1]);
  });

  describe('when Redis fails', () => {
    let silent: Server;
    const held: Socket[] = [];
    before(async () => {
      // Accepts connections and never answers: a Redis that hangs.
      silent = createServer((s) => void held.push(s));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      for (const s of held) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    const prepare = async () => {
      await publish(6);
      await persist((seq) => seq <= 4);
      // 5 and 6 are only in the log, which cannot be read: Postgres's page is the answer.
      return store.page(room, { limit: 50 });
    };

    test('an unreachable Redis leaves the Postgres page, and a warning', async () => {
      const expected = await prepare();
      assert.deepEqual(seqs(expected), [4, 3, 2, 1]);
      const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      down.on('error', () => undefined);
      try {
        const degraded = new MergedHistory({ durable: store, roomLog: new RedisRoomLog(down, keys, noSeed, log.logger), logger: log.logger });
        assert.deepEqual(await degraded.page(room, { limit: 50 }), expected);
        assert.deepEqual(await degraded.page(room, { limit: 2, before: 4 }), await store.page(room, { limit: 2, before: 4 }));
      } finally {
        down.disconnect();
      }
      assert.ok(log.lines.some((l) => l.msg.startsWith('room log unavailable')), JSON.stringify(log.lines));
    });

    test('a Redis that does not answer leaves the Postgres page once the log read gives up', async () => {
      const expected = await prepare();
      const address = silent.address();
      assert.ok(address && typeof address === 'object');
      const hung = new Redis({ host: '127.0.0.1', port: address.port, lazyConnect: true });
      hung.on('error', () => undefined);
      try {
        const degraded = new MergedHistory({
          durable: store,
          roomLog: new RedisRoomLog(hung, keys, noSeed, log.logger),
          logger: log.logger,
          logTimeoutMs: 50,
        });
        assert.deepEqual(await degraded.page(room, { limit: 50 }), expected);
      } finally {
        hung.disconnect();
      }
      assert.ok(log.lines.some((l) => l.msg.startsWith('room log unavailable')), JSON.stringify(log.lines));
    });
  });
});
