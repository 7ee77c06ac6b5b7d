/**
 * The broker ports (shared/ports.ts) over a Redis topology: MessagePublisher
 * (RedisPublisher through createMessaging) and RoomSubscriber, ControlBus
 * and TypingPublisher (RedisBus), plus the bus's probes, which the gateway's
 * health check relies on. Part of the Redis ports contract
 * (redis-ports.contract.ts).
 *
 * Pub/sub is at-most-once, so "nothing more arrives" is shown with a fence:
 * something published afterwards through the same shard (a room of the same
 * partition) that does arrive. Waits are bounded polls (`eventually`): a slow
 * machine makes the suite slower, never wrong.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../testkit/processes.js';
import { roomsInEveryPartition } from '../../testkit/partition-rooms.js';
import { wireRedisPorts, type RecordingBus, type WiredPorts } from '../../testkit/redis-ports.js';
import type { Accepted, PublishInput } from '../ports.js';
import type { ControlEvent } from './control.js';
import { publishControl } from './redis-bus.js';
import type { RedisPortsFactory, RedisPortsHarness } from './redis-ports.contract.js';

const alice = { id: randomUUID(), username: 'alice' };
const bob = { id: randomUUID(), username: 'bob' };
const text = (room: string, cmid: string, author = alice): PublishInput => ({ room, author, cmid, kind: 'text', body: `body of ${cmid}` });
const revoked = (sessionId: string): ControlEvent => ({ type: 'session_revoked', sessionId, reason: 'contract' });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function brokerContract(name: string, make: RedisPortsFactory): void {
  describe(`Broker contract: ${name}`, () => {
    let h: RedisPortsHarness;
    let w: WiredPorts;
    const publish = (input: PublishInput) => w.messaging.publisher.publish(input);

    before(async () => {
      h = await make();
      w = await wireRedisPorts(h.redis);
    });
    after(async () => {
      await w?.close();
      await h?.cleanup();
    });

    /** Waits until `bus` has `count` messages of each room. */
    const delivered = (bus: RecordingBus, rooms: string[], count: number) =>
      eventually(`${count} messages in each of ${rooms.length} rooms`, () => (rooms.every((room) => bus.of(room).length >= count) ? true : undefined));

    /** Publishes in one room per partition that `bus` keeps subscribed, and waits for all: what was published before on those shards has arrived. */
    const fence = async (bus: RecordingBus, fences: string[], cmid = `fence-${randomUUID()}`) => {
      await Promise.all(fences.map((room) => publish(text(room, cmid))));
      await eventually('the fences', () => (fences.every((room) => bus.of(room).some((m) => m.cmid === cmid)) ? true : undefined));
    };

    it('acks each room\'s next seq from 1, in every partition; a later ack in a room never has a smaller seq', async () => {
      const rooms = roomsInEveryPartition();
      for (const room of rooms) {
        const acks: Accepted[] = [];
        for (let i = 1; i <= 3; i++) acks.push(await publish(text(room, `s${i}`)));
        assert.deepEqual(acks.map((a) => a.seq), [1, 2, 3], `room ${room}`);
        for (const a of acks) {
          assert.equal(a.room, room);
          assert.equal(a.duplicate, false);
          assert.equal(typeof a.id, 'string');
          assert.ok(Number.isSafeInteger(a.acceptedAt) && a.acceptedAt > 0);
        }
        assert.equal(new Set(acks.map((a) => a.id)).size, 3, 'every message has its own id');
      }
      // Concurrent publishes in all partitions at once: per room, exactly the
      // next seqs, no repeats or gaps, resolving in seq order.
      const resolved = new Map<string, number[]>(rooms.map((room) => [room, []]));
      await Promise.all(
        rooms.flatMap((room) =>
          range(4, 23).map((i) => publish(text(room, `c${i}`)).then((a) => resolved.get(room)!.push(a.seq))),
        ),
      );
      for (const room of rooms) assert.deepEqual(resolved.get(room), range(4, 23), `room ${room}`);
    });

    it('a retry with the same (room, author, cmid) resolves with the original and delivers nothing again; another author\'s is new', async () => {
      const rooms = roomsInEveryPartition();
      const bus = await w.openBus();
      await Promise.all(rooms.map((room) => bus.bus.subscribe(room)));
      for (const room of rooms) {
        const first = await publish(text(room, 'same'));
        const retry = await publish({ ...text(room, 'same'), body: 'a different body is ignored' });
        assert.deepEqual(retry, { ...first, duplicate: true });
        const other = await publish(text(room, 'same', bob));
        assert.equal(other.duplicate, false);
        assert.equal(other.seq, first.seq + 1);
      }
      // The rooms themselves are the fences: bob's message came after the retry.
      await delivered(bus, rooms, 2);
      for (const room of rooms) {
        assert.deepEqual(bus.of(room).map((m) => [m.seq, m.from.id, m.body]), [
          [1, alice.id, 'body of same'],
          [2, bob.id, 'body of same'],
        ]);
      }
    });

    it('subscribed rooms receive their messages in seq order, as acked, with the seq\'s epoch; nothing after unsubscribe', async () => {
      const rooms = roomsInEveryPartition();
      const fences = roomsInEveryPartition();
      const bus = await w.openBus();
      // Deliveries have started once subscribe resolves: nothing below waits.
      await Promise.all([...rooms, ...fences].map((room) => bus.bus.subscribe(room)));
      const acks = await Promise.all(rooms.flatMap((room) => range(1, 10).map((i) => publish(text(room, `m${i}`)))));
      await delivered(bus, rooms, 10);
      for (const room of rooms) {
        const got = bus.of(room);
        assert.deepEqual(got.map((m) => m.seq), range(1, 10), `room ${room} in seq order`);
        const mine = acks.filter((a) => a.room === room).sort((a, b) => a.seq - b.seq);
        assert.deepEqual(
          got.map((m) => [m.id, m.seq, m.cmid, m.body, m.kind, m.from, m.createdAt]),
          mine.map((a, i) => [a.id, a.seq, `m${i + 1}`, `body of m${i + 1}`, 'text', alice, new Date(a.acceptedAt).toISOString()]),
        );
        const { epoch } = await w.messaging.roomLog.since(room, 10);
        for (const m of bus.messages.filter((x) => x.message.room === room)) assert.equal(m.epoch, epoch);
      }

      await Promise.all(rooms.map((room) => bus.bus.unsubscribe(room)));
      for (const room of rooms) await publish(text(room, 'late'));
      await fence(bus, fences);
      for (const room of rooms) assert.equal(bus.of(room).length, 10, `room ${room} delivered after unsubscribe`);
    });

    it('only subscribed rooms are delivered, to every bus subscribed to them', async () => {
      const [shared, onlyA, never] = [roomsInEveryPartition(), roomsInEveryPartition(), roomsInEveryPartition()];
      const [a, b] = [await w.openBus(), await w.openBus()];
      await Promise.all([...shared, ...onlyA].map((room) => a.bus.subscribe(room)));
      await Promise.all(shared.map((room) => b.bus.subscribe(room)));
      // One after another, the shared rooms last: they are the fences (one per partition).
      for (const room of [...never, ...onlyA, ...shared]) await publish(text(room, 'one'));
      await delivered(a, [...onlyA, ...shared], 1);
      await delivered(b, shared, 1);
      for (const room of [...never, ...onlyA]) assert.equal(b.of(room).length, 0);
      for (const room of never) assert.equal(a.of(room).length, 0);
    });

    it('(un)subscriptions asked together take effect in the order asked; a shard left without rooms takes new ones', async () => {
      // A bus without probes: after the last unsubscribe below, only
      // partition 0 (the control channel) keeps a channel on its shard.
      const [a, b, c] = [roomsInEveryPartition(), roomsInEveryPartition(), roomsInEveryPartition()];
      const bus = await w.openBus();
      await Promise.all(
        a.flatMap((room, p) => [
          bus.bus.subscribe(room),
          bus.bus.subscribe(b[p]!),
          bus.bus.unsubscribe(room),
          bus.bus.subscribe(c[p]!),
          bus.bus.subscribe(room),
          bus.bus.unsubscribe(c[p]!),
        ]),
      );
      const counts = (rooms: string[]) => Promise.all(rooms.map((room) => w.subscribers(w.keys.roomChannel(room))));
      assert.deepEqual([await counts(a), await counts(b), await counts(c)], [a.map(() => 1), b.map(() => 1), c.map(() => 0)]);

      await Promise.all([...a, ...b].map((room) => bus.bus.unsubscribe(room)));
      assert.deepEqual(await counts([...a, ...b]), [...a, ...b].map(() => 0));
      await Promise.all(c.map((room) => bus.bus.subscribe(room)));
      await Promise.all(c.map((room) => publish(text(room, 'again'))));
      await delivered(bus, c, 1);
      assert.deepEqual(c.map((room) => bus.of(room).map((m) => m.cmid)), c.map(() => ['again']));
    });

    it('control events reach every bus, in the order published, from a bus and from a process that only publishes', async () => {
      const [a, b] = [await w.openBus(), await w.openBus()];
      const ids = range(1, 5).map((i) => `s-${i}-${randomUUID()}`);
      for (const [i, id] of ids.entries()) {
        if (i % 2 === 0) await a.bus.publish(revoked(id));
        else await publishControl(w.redis, w.keys, revoked(id));
      }
      for (const bus of [a, b]) {
        await eventually('every event', () => (bus.events.length >= ids.length ? true : undefined));
        assert.deepEqual(bus.events, ids.map(revoked));
      }
    });

    it('typing signals reach the room\'s subscribers; a repeat within half the expiry announces nothing', async () => {
      const rooms = roomsInEveryPartition();
      const [a, b] = [await w.openBus(), await w.openBus()];
      await Promise.all(rooms.flatMap((room) => [a.bus.subscribe(room), b.bus.subscribe(room)]));
      const signal = (room: string, user = alice) => ({ room, user, expiresInMs: 60_000 });
      for (const room of rooms) {
        assert.equal(await a.bus.typing(signal(room)), true);
        assert.equal(await b.bus.typing(signal(room)), false, 'the same user from another gateway');
        assert.equal(await a.bus.typing(signal(room, bob)), true, 'another user');
      }
      for (const bus of [a, b]) {
        await eventually('typing signals', () => (bus.typing.length >= rooms.length * 2 ? true : undefined));
        // In order per room; rooms of different shards arrive on different links.
        for (const room of rooms) assert.deepEqual(bus.typing.filter((t) => t.room === room), [signal(room), signal(room, bob)]);
      }
      assert.equal(a.messages.length, 0, 'typing is not a message');
    });

    it('a probe comes back to its own bus only, once it came back through every partition', async () => {
      const [a, b] = [await w.openBus({ probe: `gw-${randomUUID()}` }), await w.openBus({ probe: `gw-${randomUUID()}` })];
      await a.bus.sendProbe('first');
      await a.bus.sendProbe('second');
      await b.bus.sendProbe('theirs');
      await eventually('the probes', () => (a.probes.length >= 2 && b.probes.length >= 1 ? true : undefined));
      assert.deepEqual(a.probes, ['first', 'second']);
      assert.deepEqual(b.probes, ['theirs']);
    });

    it('after the subscriber link is dropped, a resync is reported once the subscriptions are back in effect', async () => {
      const rooms = roomsInEveryPartition();
      const bus = await w.openBus({ probe: `gw-${randomUUID()}` });
      await Promise.all(rooms.map((room) => bus.bus.subscribe(room)));
      await Promise.all(rooms.map((room) => publish(text(room, 'before'))));
      await delivered(bus, rooms, 1);
      // A repair starts at the resync and reads the room logs: what is
      // published from then on must be delivered live, in every partition.
      const atResync: Promise<Accepted[]>[] = [];
      const subscribedAtResync: Promise<number[]>[] = [];
      bus.atResync = () => {
        subscribedAtResync.push(Promise.all(rooms.map((room) => w.subscribers(w.keys.roomChannel(room)))));
        atResync.push(Promise.all(rooms.map((room) => publish(text(room, `at-resync-${atResync.length}`)))));
      };
      const resyncs = bus.resyncs;
      bus.bus.reconnectSubscriber();
      await eventually('a resync', () => (bus.resyncs > resyncs ? true : undefined), 30_000);
      assert.deepEqual(await subscribedAtResync[0], rooms.map(() => 1), 'every room subscribed again when the resync is reported');
      await Promise.all(atResync);
      await delivered(bus, rooms, 2);
      for (const room of rooms) assert.deepEqual(bus.of(room).map((m) => m.cmid), ['before', 'at-resync-0'], `room ${room}`);
      assert.equal(bus.resyncs, resyncs + 1, 'one link drop, one resync');
      // Everything else the bus does works over the new link.
      bus.atResync = undefined;
      const id = `after-${randomUUID()}`;
      await bus.bus.publish(revoked(id));
      await bus.bus.sendProbe('after');
      await eventually('an event and a probe after the resync', () =>
        bus.events.some((e) => e.type === 'session_revoked' && e.sessionId === id) && bus.probes.includes('after') ? true : undefined,
      );
    });
  });
}
