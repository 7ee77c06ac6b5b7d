/**
 * The RoomLog port (shared/ports.ts) over a Redis topology: RedisRoomLog as
 * createMessaging wires it, over messages the real publisher wrote. Every
 * read runs in rooms of every partition, and `heads` is asked about all of
 * them at once (in a Redis Cluster: keys on every primary). Part of the
 * Redis ports contract (redis-ports.contract.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { roomsInEveryPartition } from '../../testkit/partition-rooms.js';
import { wireRedisPorts, type WiredPorts } from '../../testkit/redis-ports.js';
import type { Accepted } from '../ports.js';
import type { ChatMessage } from '../protocol/frames.js';
import type { RedisPortsFactory, RedisPortsHarness } from './redis-ports.contract.js';

const author = { id: randomUUID(), username: 'alice' };
const seqs = (messages: ChatMessage[]) => messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

export function roomLogContract(name: string, make: RedisPortsFactory): void {
  describe(`RoomLog contract: ${name}`, () => {
    let h: RedisPortsHarness;
    let w: WiredPorts;
    const log = () => w.messaging.roomLog;

    /** Publishes `n` messages in each room (rooms concurrently, each room in order); resolves the acks by room. */
    const publish = async (rooms: string[], n: (i: number) => number) => {
      const acks = new Map<string, Accepted[]>();
      await Promise.all(
        rooms.map(async (room, i) => {
          const list: Accepted[] = [];
          for (let k = 1; k <= n(i); k++) list.push(await w.messaging.publisher.publish({ room, author, cmid: `m${k}`, kind: 'text', body: `#${k}` }));
          acks.set(room, list);
        }),
      );
      return acks;
    };

    before(async () => {
      h = await make();
      w = await wireRedisPorts(h.redis);
    });
    after(async () => {
      await w?.close();
      await h?.cleanup();
    });

    it('since: the messages after a position in seq order, with the counter, the oldest seq and the epoch', async () => {
      const rooms = roomsInEveryPartition();
      const acks = await publish(rooms, () => 5);
      for (const room of rooms) {
        const snapshot = await log().since(room, 2);
        assert.equal(snapshot.seq, 5);
        assert.equal(snapshot.oldest, 1);
        assert.equal(typeof snapshot.epoch, 'string');
        assert.deepEqual(
          snapshot.messages.map((m) => [m.id, m.room, m.seq, m.body, m.from, m.createdAt]),
          acks.get(room)!.slice(2).map((a) => [a.id, room, a.seq, `#${a.seq}`, author, new Date(a.acceptedAt).toISOString()]),
        );
        const caughtUp = await log().since(room, 5);
        assert.deepEqual([caughtUp.messages, caughtUp.seq, caughtUp.epoch], [[], 5, snapshot.epoch]);
        assert.deepEqual(seqs((await log().since(room, 0)).messages), range(1, 5));
        assert.deepEqual((await log().since(room, Number.MAX_VALUE)).messages, [], 'a position past every seq');
      }
    });

    it('since on a room never published to seeds its counter: an empty snapshot at 0, and the first message is 1', async () => {
      for (const room of roomsInEveryPartition()) {
        const snapshot = await log().since(room, 0);
        assert.deepEqual([snapshot.messages, snapshot.seq, snapshot.oldest], [[], 0, null]);
        assert.equal(typeof snapshot.epoch, 'string');
        assert.equal((await w.messaging.publisher.publish({ room, author, cmid: 'first', kind: 'text', body: 'x' })).seq, 1);
      }
    });

    it('since with a floor seeds a new counter no lower than the floor, and publishing continues past it', async () => {
      for (const room of roomsInEveryPartition()) {
        const snapshot = await log().since(room, 0, 7);
        assert.ok(snapshot.seq >= 7, `seeded at ${snapshot.seq}, below the floor`);
        assert.deepEqual(snapshot.messages, []);
        const next = await w.messaging.publisher.publish({ room, author, cmid: 'after-floor', kind: 'text', body: 'x' });
        assert.equal(next.seq, snapshot.seq + 1);
        assert.equal((await log().since(room, 0)).seq, next.seq);
      }
    });

    it('since re-seeds a lost counter past the log: no seq in the log is assigned again', async () => {
      const rooms = roomsInEveryPartition();
      await publish(rooms, () => 4);
      for (const room of rooms) await h.redis.redis.del(w.keys.roomCounter(room));
      for (const room of rooms) {
        const snapshot = await log().since(room, 2);
        assert.equal(snapshot.seq, 4);
        assert.deepEqual(seqs(snapshot.messages), [3, 4]);
        assert.equal((await w.messaging.publisher.publish({ room, author, cmid: 'after-loss', kind: 'text', body: 'x' })).seq, 5);
      }
    });

    it('page: newest first, `before` exclusive, at most `limit`', async () => {
      const rooms = roomsInEveryPartition();
      const acks = await publish(rooms, () => 7);
      for (const room of rooms) {
        assert.deepEqual(seqs(await log().page(room, { limit: 3 })), [7, 6, 5]);
        assert.deepEqual(seqs(await log().page(room, { before: 5, limit: 10 })), [4, 3, 2, 1]);
        assert.deepEqual(seqs(await log().page(room, { before: 1, limit: 10 })), []);
        assert.deepEqual(seqs(await log().page(room, { before: 1e21, limit: 1 })), [7], 'a bound past the safe integers is the newest page');
        const newest = await log().page(room, { limit: 1 });
        assert.equal(newest[0]?.id, acks.get(room)!.at(-1)!.id);
      }
      assert.deepEqual(await log().page(randomUUID(), { limit: 10 }), [], 'a room without messages');
    });

    it('get: the message at a seq, null where the log holds none', async () => {
      const rooms = roomsInEveryPartition();
      const acks = await publish(rooms, () => 3);
      for (const room of rooms) {
        const m = await log().get(room, 2);
        assert.deepEqual([m?.id, m?.seq, m?.body], [acks.get(room)![1]!.id, 2, '#2']);
        assert.equal(await log().get(room, 4), null);
        assert.equal(await log().get(room, 0), null);
        assert.equal(await log().get(room, 2 ** 60), null);
      }
      assert.equal(await log().get(randomUUID(), 1), null);
    });

    it('heads: every room\'s counter at once, across all partitions; null for a room without one, which it does not seed', async () => {
      const rooms = roomsInEveryPartition(2);
      const silent = roomsInEveryPartition();
      await publish(rooms, (i) => 1 + (i % 5));
      const lost = rooms[rooms.length - 1]!;
      await h.redis.redis.del(w.keys.roomCounter(lost));
      // Interleaved partitions, as a gateway asks for its sockets' rooms.
      const asked = [...rooms, ...silent].sort();
      const heads = await log().heads(asked);
      assert.deepEqual([...heads.keys()].sort(), asked);
      for (const [i, room] of rooms.entries()) assert.equal(heads.get(room), room === lost ? null : 1 + (i % 5), `room ${room}`);
      for (const room of silent) assert.equal(heads.get(room), null);
      assert.equal(await h.redis.redis.exists(w.keys.roomCounter(lost)), 0, 'heads seeded nothing');
      assert.equal((await log().heads([])).size, 0);
      // Once seeded (by a snapshot), the counter is read again.
      await log().since(lost, 0);
      assert.equal((await log().heads([lost])).get(lost), 1 + ((rooms.length - 1) % 5));
    });
  });
}
