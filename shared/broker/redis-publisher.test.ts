/**
 * publish.lua / seed.lua through RedisPublisher, against real Redis (and real
 * Postgres for the seed path): sequence numbers, atomicity of the four
 * effects, idempotency, the backlog bound, recovery of a lost counter, and
 * never reusing a seq after Redis lost data (epochs, the floor, reseeding).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { RedisClient } from '../redis/connect.js';
import { createTestRedis, type TestRedis } from '../../testkit/redis.js';
import { createTestDatabase, type TestDatabase } from '../../testkit/postgres.js';
import { redisKeys, type RedisKeys } from '../redis/keys.js';
import { Registry } from 'prom-client';
import { partitionOf, PARTITIONS } from '../redis/keys.js';
import { registerScripts } from '../redis/scripts.js';
import { PgMessageStore } from '../store/pg-message-store.js';
import { testLogger } from '../../testkit/logger.js';
import { startRedisServer } from '../../testkit/redis-server.js';
import { createMessaging, type Messaging, type MessagingDeps } from './wiring.js';
import { RedisPublisher } from './redis-publisher.js';
import { ParleyError } from '../errors.js';
import { decodeEnvelope, type Envelope } from './envelope.js';
import type { PublishInput } from '../ports.js';
import type { FileRef } from '../protocol/frames.js';

const STREAMS: MessagingDeps['streams'] = { roomLogMaxLen: 1000, persistMaxBacklog: 0, dedupTtlSeconds: 60, publishBatchMax: 128 };
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

type OwnRedisServer = Awaited<ReturnType<typeof startRedisServer>>;

/** A primary of the test's own with one replica linked to it, both destroyed after `fn`; `fn` gets a connection to the primary. */
async function withReplica(fn: (conn: ReturnType<OwnRedisServer['client']>, replica: OwnRedisServer) => Promise<void>): Promise<void> {
  const primary = await startRedisServer();
  const replica = await startRedisServer({ replicaOf: primary });
  try {
    for (let i = 0; i < 100 && (await replica.client().info('replication')).includes('master_link_status:down'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await fn(primary.client(), replica);
  } finally {
    await replica.destroy();
    await primary.destroy();
  }
}

describe('RedisPublisher (publish.lua)', () => {
  let r: TestRedis;
  let db: TestDatabase;
  let keys: RedisKeys;
  let store: PgMessageStore;
  const messaging = (config: Partial<MessagingDeps['streams']> = {}, redis: RedisClient = r.redis, registry = new Registry()): Messaging =>
    createMessaging({ redis, sql: db.sql, keys, streams: { ...STREAMS, ...config }, logger: testLogger(), registry });
  const publisher = (config: Partial<MessagingDeps['streams']> = {}, redis: RedisClient = r.redis) => messaging(config, redis).publisher;
  /** A room and author Postgres knows, so reseeding can read and record. */
  const knownRoom = async () => {
    const id = crypto.randomUUID();
    await db.sql`insert into rooms (id, kind, name) values (${id}, 'public', ${`r-${id}`})`;
    await db.sql`insert into users (id, username, password_hash) values (${author.id}, 'alice', 'x') on conflict do nothing`;
    return id;
  };
  const logOf = async (id: string) => (await r.redis.xrange(keys.roomLog(id), '-', '+')).map(([, f]) => decodeEnvelope(f[1]!)!);
  const counter = async (id: string) => Number(await r.redis.hget(keys.roomCounter(id), 'n'));
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
    const received = new Promise<Envelope | null>((resolve) => sub.on('smessage', (_c: string, m: string) => resolve(decodeEnvelope(m))));
    await sub.ssubscribe(keys.roomChannel(room));
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
        ep: (await r.redis.get(keys.epochOfRoom(room)))!,
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
    const received = new Promise<string>((resolve) => sub.on('smessage', (_c: string, m: string) => resolve(m)));
    await sub.ssubscribe(keys.roomChannel(room));
    try {
      const accepted = await publisher().publish(fileInput(room, 'file-1'));
      assert.equal(accepted.duplicate, false);
      const expected: Envelope = {
        v: 1,
        id: accepted.id,
        room,
        seq: accepted.seq,
        ep: (await r.redis.get(keys.epochOfRoom(room)))!,
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
    assert.equal(await counter(room), 1);
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
    const p0 = partitionOf(room);
    const fields = (cmid: string, file: string) => [keys.roomChannel(room), crypto.randomUUID(), room, author.id, 'alice', cmid, 'file', '', Date.now(), file, 0];
    const keysOf = (cmid: string) => [keys.roomCounter(room), keys.roomLog(room), keys.publishDedup(room, author.id, cmid)];
    // The bad message, then a good one of the same room: both refused (the
    // room's order), nothing written for either.
    const outcomes = await scripts.publish(
      [keys.partitionEpoch(p0), keys.persistStream(p0), ...keysOf('raw'), ...keysOf('after')],
      [1000, 0, 60, ...fields('raw', '{not json'), ...fields('after', JSON.stringify(FILE))],
    );
    assert.equal(outcomes[0]![0], -1);
    assert.match(String(outcomes[0]![1]), /^BADFILE/);
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.equal(await counter(room), 1);
    assert.equal(await r.redis.xlen(keys.roomLog(room)), 1);
    assert.equal(await r.redis.exists(keys.publishDedup(room, author.id, 'raw')), 0);
  });

  test('publishes made one after another get seqs in that order, even while the room\'s counter is being seeded', async () => {
    room = await knownRoom();
    const p = publisher();
    // All 30 are sent before the first is answered: the first is refused (no
    // counter yet) and the rest are in flight or queued behind the seeding.
    const accepted = await Promise.all(Array.from({ length: 30 }, (_, i) => p.publish(input(room, `order-${i}`))));
    assert.deepEqual(accepted.map((a) => a.seq), Array.from({ length: 30 }, (_, i) => i + 1));
    // The same after a data loss, when the seeding takes longest.
    await r.wipe();
    const again = await Promise.all(Array.from({ length: 30 }, (_, i) => p.publish(input(room, `again-${i}`))));
    const first = again[0]!.seq;
    assert.deepEqual(again.map((a) => a.seq), Array.from({ length: 30 }, (_, i) => first + i));
  });

  test('publishes of one event-loop turn go to Redis in one script call per partition, each room in order', async () => {
    const m = messaging();
    let calls = 0;
    const counted = { ...m.scripts, publish: (k: string[], a: (string | number)[]) => (calls++, m.scripts.publish(k, a)) };
    const sizes: number[] = [];
    const p = new RedisPublisher({
      scripts: counted,
      keys,
      config: { ...STREAMS, publishBatchMax: 128 },
      epochs: m.epochs,
      seeder: m.seeder,
      batchSizes: { observe: (n) => sizes.push(n) },
    });
    // Rooms of one partition, each seeded by a first publish (calls not counted).
    const rooms: string[] = [];
    while (rooms.length < 4) {
      const id = crypto.randomUUID();
      if (partitionOf(id) === partitionOf(room)) rooms.push(id);
    }
    for (const id of rooms) await p.publish(input(id, 'first'));
    calls = 0;
    const sent = rooms.flatMap((id) => Array.from({ length: 10 }, (_, i) => ({ id, cmid: `m${i}` })));
    const accepted = await Promise.all(sent.map(({ id, cmid }) => p.publish(input(id, cmid))));
    assert.equal(calls, 1, 'one call for 40 messages of one partition');
    assert.equal(sizes.at(-1), 40, 'parley_publish_batch_messages sees the call\'s 40 messages');
    for (const id of rooms) {
      assert.deepEqual(accepted.filter((a) => a.room === id).map((a) => a.seq), Array.from({ length: 10 }, (_, i) => i + 2));
    }
    // A full batch goes at once: 5 messages with a batch of 2 take 3 calls.
    calls = 0;
    const small = new RedisPublisher({ scripts: counted, keys, config: { ...STREAMS, publishBatchMax: 2 }, epochs: m.epochs, seeder: m.seeder });
    await Promise.all(Array.from({ length: 5 }, (_, i) => small.publish(input(rooms[0]!, `s${i}`))));
    assert.equal(calls, 3);
  });

  test('a refusal in a batch holds back only its own room: the other rooms\' messages are accepted in the same call', async () => {
    const m = messaging();
    const seeded = crypto.randomUUID();
    let fresh = crypto.randomUUID();
    while (partitionOf(fresh) !== partitionOf(seeded)) fresh = crypto.randomUUID();
    const p = m.publisher;
    await p.publish(input(seeded, 'first'));
    // `fresh` has no counter: its messages are refused (NOSEQ), seeded and retried, in order.
    const accepted = await Promise.all([
      p.publish(input(fresh, 'f1')),
      p.publish(input(seeded, 's1')),
      p.publish(input(fresh, 'f2')),
      p.publish(input(seeded, 's2')),
    ]);
    assert.deepEqual(accepted.map((a) => a.seq), [1, 2, 2, 3]);
    assert.deepEqual((await logOf(fresh)).map((e) => e.cmid), ['f1', 'f2']);
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
    assert.equal(await counter(room), 2);
    assert.equal(await r.redis.xlen(keys.roomLog(room)), 2);
    assert.equal(await r.redis.exists(keys.publishDedup(room, author.id, 'b3')), 0);
  });

  test('a lost counter is re-seeded from Postgres, never reusing a persisted seq', async () => {
    room = await knownRoom();
    const p = publisher();
    for (let i = 0; i < 3; i++) await p.publish(input(room, `s${i}`));
    await store.append(await logOf(room));
    await r.redis.del(keys.roomCounter(room), keys.roomLog(room));
    assert.equal((await p.publish(input(room, 'after-loss'))).seq, 4);
  });

  test('a lost counter is re-seeded past the room log when the log is ahead of Postgres', async () => {
    const p = publisher();
    for (let i = 0; i < 7; i++) await p.publish(input(room, `l${i}`));
    await r.redis.del(keys.roomCounter(room));
    assert.equal((await p.publish(input(room, 'after-loss'))).seq, 8);
  });

  test('a counter of the format before epochs is taken over, never reusing its seqs', async () => {
    await r.redis.set(keys.legacyRoomSeq(room), '41');
    assert.equal((await publisher().publish(input(room, 'upgraded'))).seq, 42);
    assert.equal(await r.redis.exists(keys.legacyRoomSeq(room)), 0);
  });

  test('Redis losing its data: the loss is recorded once, and the room skips past every seq that may have been acked', async () => {
    room = await knownRoom();
    const registry = new Registry();
    const m = messaging({ persistMaxBacklog: 100 }, r.redis, registry);
    // Earlier tests' messages of this partition (no worker drains them here) must not fill the backlog bound.
    await r.redis.del(keys.persistStreamOfRoom(room));
    for (let i = 1; i <= 5; i++) await m.publisher.publish(input(room, `w${i}`));
    // The worker had persisted 1..3; 4 and 5 were acked and only in Redis.
    await store.append((await logOf(room)).slice(0, 3));
    const before = await r.redis.get(keys.epochOfRoom(room));
    // Losses this process recorded so far (an earlier test's wipe may be among them).
    const lossesOf = async () =>
      (await registry.getSingleMetric('parley_redis_data_loss_total')!.get()).values.find((v) => v.labels['partition'] === String(partitionOf(room)))?.value ?? 0;
    const lossesBefore = await lossesOf();
    // Everything of this prefix in Redis is gone, as after a restart without persistence.
    const lost = await r.redis.keys(`${keys.prefix}*`);
    await r.redis.del(...lost);

    const after = await m.publisher.publish(input(room, 'after-wipe'));
    // At most persistMaxBacklog (100) acked messages past Postgres's 3 can have been lost.
    assert.equal(after.seq, 3 + 100 + 1);
    const epoch = await r.redis.get(keys.epochOfRoom(room));
    assert.ok(epoch && epoch !== before, 'a new epoch');
    assert.deepEqual(await m.ledger.gaps(room, 1, 1000), [{ from: 4, to: 103 }]);
    const page = await store.page(room, { limit: 50 });
    assert.deepEqual(page.gaps, [{ from: 4, to: 103 }], 'history reports the skipped range');
    const [recorded] = await db.sql<{ epoch: string; previous: string }[]>`select epoch, previous from redis_epochs where partition = ${partitionOf(room)}`;
    assert.deepEqual(recorded, { epoch, previous: before });
    assert.equal((await lossesOf()) - lossesBefore, 1, 'the loss is counted once');
    // A room created after the loss, and a room never published to, count from 1.
    assert.equal((await m.publisher.publish(input(await knownRoom(), 'fresh'))).seq, 1);
  });

  test('a counter found below the caller\'s floor (lost acked writes) is never reused: the epoch is replaced and the room reseeded', async () => {
    room = await knownRoom();
    const m = messaging({ persistMaxBacklog: 50 });
    for (let i = 1; i <= 6; i++) await m.publisher.publish(input(room, `f${i}`));
    const before = await r.redis.get(keys.epochOfRoom(room));
    // A failover to a replica that had only 4 of the 6 writes: its counter and log end at 4.
    const kept = (await r.redis.xrange(keys.roomLog(room), '-', '4-0')) as [string, string[]][];
    await r.redis.del(keys.roomLog(room));
    for (const [id, fields] of kept) await r.redis.xadd(keys.roomLog(room), id, ...fields);
    await r.redis.hset(keys.roomCounter(room), 'n', 4);
    const next = await m.publisher.publish({ ...input(room, 'after-failover'), floor: 6 });
    assert.equal(next.seq, 6 + 50 + 1, 'past the floor, by the backlog bound');
    assert.notEqual(await r.redis.get(keys.epochOfRoom(room)), before);
    // Redis still holds 1..4 (the worker will persist them); 5..56 may be lost.
    assert.deepEqual(await m.ledger.gaps(room, 1, 1000), [{ from: 5, to: 56 }]);
    // Every room of the partition is reseeded in the new epoch too.
    assert.deepEqual(await m.roomLog.heads([room]), new Map([[room, 57]]));
  });

  test('a counter found below the room log (lost acked writes) is refused before anything is written', async () => {
    room = await knownRoom();
    const m = messaging({ persistMaxBacklog: 20 });
    for (let i = 1; i <= 3; i++) await m.publisher.publish(input(room, `g${i}`));
    await r.redis.hset(keys.roomCounter(room), 'n', 1);
    // No floor: the log itself shows the counter went back (a stream never
    // takes an id at or below one it generated, even a deleted one).
    await r.redis.xdel(keys.roomLog(room), '2-0', '3-0');
    const next = await m.publisher.publish(input(room, 'below-log'));
    assert.equal(next.seq, 3 + 20 + 1);
    assert.deepEqual((await logOf(room)).map((e) => e.seq), [24], 'the log restarts past the skipped range');
  });

  test('the epochs of every partition are established once, and a second process sees the same ones', async () => {
    const a = messaging();
    const b = messaging();
    await a.epochs.check();
    const first = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => r.redis.get(keys.partitionEpoch(p))));
    await b.epochs.check();
    const second = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => r.redis.get(keys.partitionEpoch(p))));
    assert.deepEqual(second, first);
    assert.ok(first.every((e) => typeof e === 'string'));
  });

  test('with REDIS_ACK_REPLICAS, an ack waits for the replica; without one in time it is unavailable, and the retry is the original', async () => {
    await withReplica(async (conn, replica) => {
      const waiting = messaging({ ackReplicas: 1, ackTimeoutMs: 2000 }, conn).publisher;
      const ok = await waiting.publish(input(room, 'replicated'));
      assert.equal(ok.seq, 1);
      assert.equal(await replica.client().hget(keys.roomCounter(room), 'n'), '1', 'the replica had it before the ack');
      await replica.stop('kill');
      const short = messaging({ ackReplicas: 1, ackTimeoutMs: 100 }, conn).publisher;
      await assert.rejects(short.publish(input(room, 'lonely')), (err: unknown) => err instanceof ParleyError && err.code === 'unavailable');
      // The message was accepted by the primary; the client's retry gets the original.
      const retry = await messaging({}, conn).publisher.publish(input(room, 'lonely'));
      assert.equal(retry.duplicate, true);
      assert.equal(retry.seq, 2);
    });
  });

  test('with REDIS_ACK_REPLICAS, a WAIT answered on a new connection (a failover) proves nothing: unavailable, and the retry is the original', async () => {
    await withReplica(async (conn) => {
      const m = messaging({ ackReplicas: 1, ackTimeoutMs: 2000 }, conn);
      // The connection drops right after the script's answer, so the WAIT goes out on the
      // next one: it counts that connection's writes (none) and would answer 1 at once.
      const script = m.scripts.publish;
      m.scripts.publish = async (keys, args) => {
        const outcomes = await script(keys, args);
        conn.disconnect(true);
        return outcomes;
      };
      await assert.rejects(m.publisher.publish(input(room, 'across')), (err: unknown) => {
        assert.ok(err instanceof ParleyError);
        assert.equal(err.code, 'unavailable');
        assert.match(err.message, /connection to Redis changed/);
        return true;
      });
      m.scripts.publish = script;
      const retry = await m.publisher.publish(input(room, 'across'));
      assert.equal(retry.duplicate, true);
      assert.equal(retry.seq, 1);
    });
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
