/**
 * The History contract (history.contract.ts) against every implementation,
 * over real Redis and Postgres: messages go through the real publish path
 * and are persisted as the worker would persist them.
 */
import { Registry } from 'prom-client';
import { createMessaging } from '../broker/wiring.js';
import { decodeEntry, envelopeToMessage } from '../broker/envelope.js';
import { redisKeys } from '../redis/keys.js';
import { testLogger } from '../../testkit/logger.js';
import { createTestDatabase } from '../../testkit/postgres.js';
import { createTestRedis } from '../../testkit/redis.js';
import { TEST_STREAMS } from '../../testkit/messaging.js';
import type { History } from '../ports.js';
import { historyContract, type HistoryHarness } from './history.contract.js';
import { PgMessageStore } from './pg-message-store.js';
import { MergedHistory } from './merged-history.js';
import { AnnotatedHistory } from './annotated-history.js';
import type { RoomLog } from '../ports.js';
import type { Sql } from '../db/connect.js';

async function harness(build: (deps: { sql: Sql; store: PgMessageStore; roomLog: RoomLog }) => History): Promise<HistoryHarness> {
  const db = await createTestDatabase();
  const r = await createTestRedis();
  const keys = redisKeys(r.config.keyPrefix);
  const messaging = createMessaging({ redis: r.redis, sql: db.sql, keys, streams: TEST_STREAMS, logger: testLogger(), registry: new Registry() });
  const store = new PgMessageStore(db.sql);
  const [user] = await db.sql<{ id: string }[]>`insert into users (username, password_hash) values ('author', 'x') returning id`;
  const author = { id: user!.id, username: 'author' };
  return {
    history: build({ sql: db.sql, store, roomLog: messaging.roomLog }),
    async room() {
      const [row] = await db.sql<{ id: string }[]>`insert into rooms (kind, name) values ('private', 'r') returning id`;
      return row!.id;
    },
    async publish(room, messages) {
      const published = [];
      for (const m of messages) {
        const accepted = await messaging.publisher.publish({
          room,
          author,
          cmid: crypto.randomUUID(),
          kind: m.file ? 'file' : 'text',
          body: m.body,
          file: m.file,
        });
        const [[, fields]] = (await r.redis.xrange(keys.roomLog(room), `${accepted.seq}-0`, `${accepted.seq}-0`)) as [[string, string[]]];
        published.push(decodeEntry(fields)!);
      }
      await store.append(published);
      return published.map(envelopeToMessage);
    },
    async skip(room, gap) {
      const epoch = await messaging.epochs.current(0);
      await db.sql`insert into room_seq_gaps (room_id, from_seq, to_seq, epoch) values (${room}, ${gap.from}, ${gap.to}, ${epoch})`;
      await r.redis.hset(keys.roomCounter(room), 'n', gap.to);
    },
    async cleanup() {
      await r.cleanup();
      await db.drop();
    },
  };
}

historyContract('PgMessageStore', () => harness(({ store }) => store));
historyContract('MergedHistory', () => harness(({ store, roomLog }) => new MergedHistory({ durable: store, roomLog, logger: testLogger() })));
historyContract('AnnotatedHistory over MergedHistory', () =>
  harness(({ sql, store, roomLog }) => new AnnotatedHistory(sql, new MergedHistory({ durable: store, roomLog, logger: testLogger() }))),
);
