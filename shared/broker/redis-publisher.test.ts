/**
 * publish.lua / seed.lua through RedisPublisher, against real Redis (and real
 * Postgres for the seed path): sequence numbers, atomicity of the four
 * effects, idempotency, the backlog bound, and recovery of a lost counter.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createTestRedis, type TestRedis } from '../testing/redis.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { registerScripts } from '../redis/scripts.js';
import { PgMessageStore } from '../store/pg-message-store.js';
import { ParleyError } from '../errors.js';
import { decodeEnvelope, type Envelope } from './envelope.js';
import { RedisPublisher } from './redis-publisher.js';
import type { StreamsConfig } from '../config/slices.js';
import type { PublishInput } from '../ports.js';
import type { FileRef } from '../protocol/frames.js';

const STREAMS: StreamsConfig = { roomLogMaxLen: 1000, persistMaxBacklog: 0, dedupTtlSeconds: 60 };
const author = { id: '11111111-1111-4111-8111-111111111111', username: 'alice' };
const input = (room: string, cmid: string, body = `body ${cmid}`): PublishInput => ({ room, author, cmid, kind: 'text', body });
const FILE: FileRef = {
  id: '33333333-3333-4333-8333-333333333333',
  name: 'Résumé "final" / ✓ 🎉.pdf',
  size: 12_345_678_901,
  contentType: 'application/pdf',
};
const fileInput = (room: string, cmid: string, file: FileRef = FILE, body = 'see attached'): PublishInput => ({
  room,
  author,
  cmid,
  kind: 'file',
  body,
  file,
});

describe('RedisPublisher (publish.lua)', () => {
  let r: TestRedis;
  let db: TestDatabase;
  let keys: RedisKeys;
  let store: PgMessageStore;
  const publisher = (config: Partial<StreamsConfig> = {}, redis: Redis = r.redis) =>
    new RedisPublisher({
      scripts: registerScripts(redis),
      keys,
      config: { ...STREAMS, ...config },
      persistedMaxSeq: (room) => store.maxSeq(room),
    });
  let room: string;

  before(async () => {
    r = await createTestRedis();
    db = await createTestDatabase();
    keys = redisKeys(r.config.keyPrefix);
    store = new PgMessageStore(db.sql);
  });
  after(async () => {
    await r.cleanup();
    await db.drop();
  });
  beforeEach(() => {
    room = crypto.randomUUID();
  });

  test('a new room counts from 1 with no gaps, independently of other rooms', async () => {
    const p = publisher();
    const other = crypto.randomUUID();
    const seqs = [];
    for (let i = 0; i < 5; i++) seqs.push((await p.publish(input(room, `c${i}`))).seq);
    assert.deepEqual(seqs, [1, 2, 3, 4, 5]);
    assert.equal((await p.publish(input(other, 'c0'))).seq, 1);
  });

  test('one publish writes the log entry <seq>-0, the persistence entry, the dedup key and the pub/sub message, all alike', async () => {
    const sub = new Redis(r.config.url);
    const received = new Promise<Envelope | null>((resolve) => sub.on('message', (_c: string, m: string) => resolve(decodeEnvelope(m))));
    await sub.subscribe(keys.roomChannel(room));
    try {
      const accepted = await publisher().publish(input(room, 'only', 'héllo "world" / ✓'));
      const log = await r.redis.xrange(keys.roomLog(room), '-', '+');
      assert.equal(log.length, 1);
      assert.equal(log[0]![0], `${accepted.seq}-0`);
      const fromLog = decodeEnvelope(log[0]![1][1]!);
      const persisted = (await r.redis.xrange(keys.persistStreamOfRoom(room), '-', '+')).map(([, f]) => decodeEnvelope(f[1]!));
      const mine = persisted.filter((e) => e?.room === room);
      assert.equal(mine.length, 1);
      const live = await received;
      const expected: Envelope = {
        v: 1,
        id: accepted.id,
        room,
        seq: accepted.seq,
        uid: author.id,
        un: 'alice',
        cmid: 'only',
        kind: 'text',
        body: 'héllo "world" / ✓',
        ts: accepted.acceptedAt,
      };
      assert.deepEqual(fromLog, expected);
      assert.deepEqual(mine[0], expected);
      assert.deepEqual(live, expected);
      assert.equal(await r.redis.get(keys.publishDedup(room, author.id, 'only')), `${accepted.seq}:${accepted.id}:${accepted.acceptedAt}`);
    } finally {
      sub.disconnect();
    }
  });

  test('a text envelope has no file key at all', async () => {
    await publisher().publish(input(room, 'plain'));
    const [[, fields]] = (await r.redis.xrange(keys.roomLog(room), '-', '+')) as [[string, string[]]];
    const raw = JSON.parse(fields[1]!) as Record<string, unknown>;
    assert.equal(raw['kind'], 'text');
    assert.equal('file' in raw, false);
  });

  test('a file message carries its file, as an object, in the log, the persistence stream and pub/sub alike', async () => {
    const sub = new Redis(r.config.url);
    const received = new Promise<string>((resolve) => sub.on('message', (_c: string, m: string) => resolve(m)));
    await sub.subscribe(keys.roomChannel(room));
    try {
      const accepted = await publisher().publish(fileInput(room, 'file-1'));
      assert.equal(accepted.duplicate, false);
      const expected: Envelope = {
        v: 1,
        id: accepted.id,
        room,
        seq: accepted.seq,
        uid: author.id,
        un: 'alice',
        cmid: 'file-1',
        kind: 'file',
        body: 'see attached',
        ts: accepted.acceptedAt,
        file: FILE,
      };
      const log = await r.redis.xrange(keys.roomLog(room), '-', '+');
      assert.equal(log.length, 1);
      assert.equal(log[0]![0], `${accepted.seq}-0`);
      assert.deepEqual(decodeEnvelope(log[0]![1][1]!), expected);
      const persisted = (await r.redis.xrange(keys.persistStreamOfRoom(room), '-', '+'))
        .map(([, f]) => decodeEnvelope(f[1]!))
        .filter((e) => e?.room === room);
      assert.deepEqual(persisted, [expected]);
      const live = await received;
      assert.deepEqual(decodeEnvelope(live), expected);
      // Embedded as a JSON object, not as a string holding JSON.
      assert.deepEqual((JSON.parse(live) as { file: unknown }).file, FILE);
    } finally {
      sub.disconnect();
    }
  });

  test('an empty caption and a size of 0 are carried as they are', async () => {
    const empty: FileRef = { ...FILE, size: 0, name: 'empty.txt', contentType: 'text/plain' };
    await publisher().publish(fileInput(room, 'empty', empty, ''));
    const [[, fields]] = (await r.redis.xrange(keys.roomLog(room), '-', '+')) as [[string, string[]]];
    const e = decodeEnvelope(fields[1]!);
    assert.equal(e?.body, '');
    assert.deepEqual(e?.file, empty);
  });

  test('only the FileRef fields of a wider object are published', async () => {
    const wider = { ...FILE, storageKey: 'secret/path', sha256: 'ab' };
    await publisher().publish(fileInput(room, 'wider', wider));
    const [[, fields]] = (await r.redis.xrange(keys.roomLog(room), '-', '+')) as [[string, string[]]];
    assert.deepEqual(decodeEnvelope(fields[1]!)?.file, FILE);
  });

  test('a retried file cmid returns the original ack and writes nothing; the cmid is shared with text messages', async () => {
    const p = publisher();
    const first = await p.publish(fileInput(room, 'same-file'));
    const again = await p.publish(fileInput(room, 'same-file', { ...FILE, name: 'other.pdf' }));
    assert.deepEqual(again, { ...first, duplicate: true });
    // Dedup is by (room, author, cmid), whatever the kind.
    assert.deepEqual(await p.publish(input(room, 'same-file')), { ...first, duplicate: true });
    assert.equal(await r.redis.xlen(keys.roomLog(room)), 1);
    assert.equal((await r.redis.xrange(keys.persistStreamOfRoom(room), '-', '+')).filter(([, f]) => decodeEnvelope(f[1]!)?.room === room).length, 1);
    const [[, fields]] = (await r.redis.xrange(keys.roomLog(room), '-', '+')) as [[string, string[]]];
    assert.equal(decodeEnvelope(fields[1]!)?.file?.name, FILE.name);
  });

  test('a file message the rest of the pipeline could not carry is refused as bad_request, writing nothing', async () => {
    const p = publisher();
    await p.publish(input(room, 'first'));
    const bad: PublishInput[] = [
      { room, author, cmid: 'b1', kind: 'file', body: '' },
      { room, author, cmid: 'b2', kind: 'text', body: 'x', file: FILE },
      fileInput(room, 'b3', { ...FILE, id: 'not-a-uuid' }),
      fileInput(room, 'b4', { ...FILE, name: 'nul\u0000.txt' }),
      fileInput(room, 'b5', { ...FILE, contentType: 'text/\uD800plain' }),
      fileInput(room, 'b6', { ...FILE, size: -1 }),
      fileInput(room, 'b7', { ...FILE, size: 1.5 }),
      fileInput(room, 'b8', { ...FILE, size: 100_000_000_000_000 }),
    ];
    for (const b of bad) {
      await assert.rejects(p.publish(b), (err: unknown) => {
        assert.ok(err instanceof ParleyError, b.cmid);
        assert.equal(err.code, 'bad_request', b.cmid);
        return true;
      });
      assert.equal(await r.redis.exists(keys.publishDedup(room, author.id, b.cmid)), 0, b.cmid);
    }
    assert.equal(await r.redis.get(keys.roomSeq(room)), '1');
    assert.equal(await r.redis.xlen(keys.roomLog(room)), 1);
    // The largest size cjson prints exactly still goes through unchanged.
    const largest: FileRef = { ...FILE, size: 99_999_999_999_999 };
    await p.publish(fileInput(room, 'largest', largest));
    const entries = await r.redis.xrange(keys.roomLog(room), '-', '+');
    assert.deepEqual(decodeEnvelope(entries[1]![1][1]!)?.file, largest);
  });

  test('publish.lua refuses a malformed attachment before writing anything', async () => {
    const p = publisher();
    await p.publish(input(room, 'first'));
    const scripts = registerScripts(r.redis);
    const args = [keys.roomChannel(room), 1000, 0, 60, crypto.randomUUID(), room, author.id, 'alice', 'raw', 'file', '', Date.now()];
    await assert.rejects(
      scripts.publish([keys.roomSeq(room), keys.roomLog(room), keys.persistStreamOfRoom(room), keys.publishDedup(room, author.id, 'raw')], [...args, '{not json']),
    );
    assert.equal(await r.redis.get(keys.roomSeq(room)), '1');
    assert.equal(await r.redis.xlen(keys.roomLog(room)), 1);
    assert.equal(await r.redis.exists(keys.publishDedup(room, author.id, 'raw')), 0);
  });

  test('concurrent publishers on separate connections get exactly 1..N', async () => {
    const conns = [new Redis(r.config.url), new Redis(r.config.url), new Redis(r.config.url)];
    try {
      const pubs = conns.map((c) => publisher({}, c));
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => pubs[i % pubs.length]!.publish(input(room, `k${i}`))));
      const seqs = results.map((a) => a.seq).sort((a, b) => a - b);
      assert.deepEqual(seqs, Array.from({ length: 300 }, (_, i) => i + 1));
      assert.equal(await r.redis.xlen(keys.roomLog(room)), 300);
    } finally {
      for (const c of conns) c.disconnect();
    }
  });

  test('a retried cmid returns the original ack and writes nothing', async () => {
    const p = publisher();
    const first = await p.publish(input(room, 'same'));
    const logLen = await r.redis.xlen(keys.roomLog(room));
    const persistLen = await r.redis.xlen(keys.persistStreamOfRoom(room));
    const again = await p.publish(input(room, 'same', 'different body is ignored'));
    assert.deepEqual(again, { ...first, duplicate: true });
    assert.equal(await r.redis.xlen(keys.roomLog(room)), logLen);
    assert.equal(await r.redis.xlen(keys.persistStreamOfRoom(room)), persistLen);
    // The same cmid from another user is a different message.
    const bob = await p.publish({ ...input(room, 'same'), author: { id: '22222222-2222-4222-8222-222222222222', username: 'bob' } });
    assert.equal(bob.duplicate, false);
    assert.equal(bob.seq, first.seq + 1);
  });

  test('over the persistence backlog bound, publish is refused as overloaded and nothing changes', async () => {
    const stream = keys.persistStreamOfRoom(room);
    const existing = await r.redis.xlen(stream);
    const p = publisher({ persistMaxBacklog: existing + 2 });
    await p.publish(input(room, 'b1'));
    await p.publish(input(room, 'b2'));
    await assert.rejects(p.publish(input(room, 'b3')), (err: unknown) => {
      assert.ok(err instanceof ParleyError);
      assert.equal(err.code, 'overloaded');
      assert.equal(err.spec.retryable, true);
      return true;
    });
    assert.equal(await r.redis.get(keys.roomSeq(room)), '2');
    assert.equal(await r.redis.xlen(keys.roomLog(room)), 2);
    assert.equal(await r.redis.exists(keys.publishDedup(room, author.id, 'b3')), 0);
  });

  test('a lost counter is re-seeded from Postgres, never reusing a persisted seq', async () => {
    await db.sql`insert into rooms (id, kind, name) values (${room}, 'public', ${`r-${room}`})`;
    await db.sql`insert into users (id, username, password_hash) values (${author.id}, 'alice', 'x') on conflict do nothing`;
    const p = publisher();
    for (let i = 0; i < 3; i++) await p.publish(input(room, `s${i}`));
    const envelopes = (await r.redis.xrange(keys.roomLog(room), '-', '+')).map(([, f]) => decodeEnvelope(f[1]!)!);
    await store.append(envelopes);
    await r.redis.del(keys.roomSeq(room), keys.roomLog(room));
    assert.equal((await p.publish(input(room, 'after-loss'))).seq, 4);
  });

  test('a lost counter is re-seeded past the room log when the log is ahead of Postgres', async () => {
    const p = publisher();
    for (let i = 0; i < 7; i++) await p.publish(input(room, `l${i}`));
    await r.redis.del(keys.roomSeq(room));
    assert.equal((await p.publish(input(room, 'after-loss'))).seq, 8);
  });

  test('Redis being unreachable is a retryable unavailable error', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => undefined);
    await assert.rejects(publisher({}, dead).publish(input(room, 'x')), (err: unknown) => {
      assert.ok(err instanceof ParleyError);
      assert.equal(err.code, 'unavailable');
      return true;
    });
    dead.disconnect();
  });
});
