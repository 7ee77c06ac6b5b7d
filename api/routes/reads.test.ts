/**
 * Read positions and unread counts over real Postgres and Redis. Messages are
 * published with the real publish script, so the rooms' Redis seq counters
 * exist as in production and are ahead of Postgres (no worker runs here).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Envelope } from '../../shared/broker/envelope.js';
import { decodeEnvelope } from '../../shared/broker/envelope.js';
import type { MessagePublisher, RoomLog } from '../../shared/ports.js';
import {
  GLOBAL_ROOM_ID,
  type MembersResponse,
  type MyRoom,
  type MyRoomsResponse,
  type ReadPosition,
  type TokenResponse,
} from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, type ApiFixture, type ControlRecorder } from '../testing.js';

describe('read positions and unread counts', () => {
  let f: ApiFixture;
  let publisher: MessagePublisher;
  let control: ControlRecorder;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let carol: TokenResponse;

  /** Publishes n messages through the real publish script; returns the last seq. */
  const post = async (who: TokenResponse, room: string, n: number): Promise<number> => {
    let seq = 0;
    for (let i = 0; i < n; i++) {
      const author = { id: who.user.id, username: who.user.username };
      ({ seq } = await publisher.publish({ room, author, cmid: randomUUID(), kind: 'text', body: `message ${i}` }));
    }
    return seq;
  };
  const create = async (who: TokenResponse, name: string, visibility: 'public' | 'private'): Promise<string> => {
    const res = await f.call(who, 'POST', '/v1/rooms', { name, visibility });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<MyRoom>().id;
  };
  const ok = async (who: TokenResponse, method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const res = await f.call(who, method, url, payload);
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
  };
  const read = async (who: TokenResponse, room: string, seq: number): Promise<ReadPosition> => {
    const res = await f.call(who, 'PUT', `/v1/rooms/${room}/read`, { seq });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<ReadPosition>();
  };
  const myRooms = async (who: TokenResponse, query = ''): Promise<MyRoomsResponse> => {
    const res = await f.call(who, 'GET', `/v1/rooms${query}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<MyRoomsResponse>();
  };
  const unread = async (who: TokenResponse, room: string): Promise<number> => {
    const found = (await myRooms(who, '?limit=100')).rooms.find((r) => r.id === room);
    assert.ok(found, `${room} in my rooms`);
    return found.unread;
  };
  const marker = (who: TokenResponse, room: string, seq: number) => ({
    type: 'read_marker',
    room,
    user: { id: who.user.id, username: who.user.username },
    seq,
  });

  before(async () => {
    f = await createApiFixture();
    publisher = f.messaging.publisher;
    alice = await f.user('alice');
    bob = await f.user('bob');
    carol = await f.user('carol');
    control = await f.controlEvents();
  });
  after(async () => {
    await f?.cleanup();
  });

  describe('PUT /v1/rooms/{id}/read', () => {
    test('moves the position forward, answers it, and publishes one read_marker per move', async () => {
      const room = await create(alice, 'reading', 'public');
      await ok(bob, 'POST', `/v1/rooms/${room}/join`);
      await post(alice, room, 5);
      await control.take();

      assert.deepEqual(await read(bob, room, 3), { room, seq: 3 });
      assert.deepEqual(await control.take(), [marker(bob, room, 3)]);
      const [row] = await f.sql<{ last_read_seq: number }[]>`
        select last_read_seq from room_members where room_id = ${room} and user_id = ${bob.user.id}`;
      assert.equal(row!.last_read_seq, 3);

      // The same position again moves nothing and tells nobody.
      assert.deepEqual(await read(bob, room, 3), { room, seq: 3 });
      assert.deepEqual(await control.take(), []);
    });

    test('never moves backwards: an older position answers the current one, silently', async () => {
      const room = await create(alice, 'forward only', 'private');
      await post(alice, room, 4);
      await read(alice, room, 4);
      await control.take();
      assert.deepEqual(await read(alice, room, 2), { room, seq: 4 });
      assert.deepEqual(await read(alice, room, 0), { room, seq: 4 });
      assert.deepEqual(await control.take(), []);
    });

    test('concurrent equal requests move it once: one event', async () => {
      const room = await create(alice, 'race', 'private');
      await post(alice, room, 3);
      await control.take();
      const answers = await Promise.all([1, 2, 3, 4].map(() => read(alice, room, 3)));
      assert.ok(answers.every((a) => a.seq === 3));
      assert.deepEqual(await control.take(), [marker(alice, room, 3)]);
    });

    test('refuses a seq past the room\'s current seq (the Redis counter, ahead of Postgres)', async () => {
      const room = await create(alice, 'future', 'private');
      assertProblem(await f.call(alice, 'PUT', `/v1/rooms/${room}/read`, { seq: 1 }), 400, 'bad_request');
      await post(alice, room, 2);
      assert.equal(await f.store.maxSeq(room), 0, 'nothing persisted: the bound comes from Redis');
      const problem = assertProblem(await f.call(alice, 'PUT', `/v1/rooms/${room}/read`, { seq: 3 }), 400, 'bad_request');
      assert.equal(problem.errors?.[0]?.path, '/body/seq');
      assert.deepEqual(await read(alice, room, 2), { room, seq: 2 });
      await control.take();
    });

    test('without a Redis counter, the bound is the highest persisted seq', async () => {
      const room = await create(alice, 'persisted only', 'private');
      const envelopes: Envelope[] = [1, 2, 3].map((seq) => ({
        v: 1, id: randomUUID(), room, seq, uid: alice.user.id, un: 'alice', cmid: randomUUID(), kind: 'text', body: 'old', ts: Date.now(),
      }));
      await f.store.append(envelopes);
      assert.equal(await f.redis.exists(f.keys.roomCounter(room)), 0);
      assertProblem(await f.call(alice, 'PUT', `/v1/rooms/${room}/read`, { seq: 4 }), 400, 'bad_request');
      assert.deepEqual(await read(alice, room, 3), { room, seq: 3 });
      await control.take();
    });

    test('members only, as the policy decides; bad input is 400', async () => {
      const pub = await create(alice, 'visitors', 'public');
      const priv = await create(alice, 'closed', 'private');
      await post(alice, pub, 1);
      await post(alice, priv, 1);
      await ok(carol, 'POST', `/v1/rooms/${pub}/join`);
      await ok(alice, 'PUT', `/v1/rooms/${pub}/bans/${carol.user.id}`, {});
      assertProblem(await f.call(bob, 'PUT', `/v1/rooms/${pub}/read`, { seq: 1 }), 404, 'member_not_found');
      assertProblem(await f.call(carol, 'PUT', `/v1/rooms/${pub}/read`, { seq: 1 }), 403, 'banned');
      assertProblem(await f.call(bob, 'PUT', `/v1/rooms/${priv}/read`, { seq: 1 }), 404, 'room_not_found');
      assertProblem(await f.call(bob, 'PUT', `/v1/rooms/${randomUUID()}/read`, { seq: 1 }), 404, 'room_not_found');
      for (const body of [{}, { seq: -1 }, { seq: 1.5 }, { seq: 'one' }, { seq: 1, extra: true }]) {
        assertProblem(await f.call(alice, 'PUT', `/v1/rooms/${pub}/read`, body), 400, 'bad_request');
      }
      assertProblem(await f.call(null, 'PUT', `/v1/rooms/${pub}/read`, { seq: 1 }), 401, 'unauthorized');
      assert.deepEqual(await control.take().then((events) => events.filter((e) => e.type === 'read_marker')), []);
    });
  });

  describe('GET /v1/rooms unread', () => {
    test('a new member does not inherit the room\'s earlier history as unread', async () => {
      const room = await create(alice, 'history-before-me', 'public');
      await post(alice, room, 4);
      // What the worker does: the history is persisted before carol arrives.
      const entries = (await f.redis.xrange(f.keys.roomLog(room), '-', '+')) as [string, string[]][];
      await f.store.append(entries.map(([, fields]) => decodeEnvelope(fields[1]!)!));
      const newcomer = await f.user('newcomer');
      await ok(newcomer, 'POST', `/v1/rooms/${room}/join`);
      assert.equal(await unread(newcomer, room), 0);
      await post(alice, room, 1);
      assert.equal(await unread(newcomer, room), 1);
    });

    test('counts messages after my read position, Redis counter included', async () => {
      const room = await create(alice, 'counting', 'public');
      await ok(bob, 'POST', `/v1/rooms/${room}/join`);
      assert.equal(await unread(bob, room), 0);
      await post(alice, room, 5);
      assert.equal(await unread(bob, room), 5);
      await read(bob, room, 3);
      assert.equal(await unread(bob, room), 2);
      await read(bob, room, 5);
      assert.equal(await unread(bob, room), 0);
      await post(alice, room, 2);
      assert.equal(await unread(bob, room), 2);
      // Each member has their own position.
      assert.equal(await unread(alice, room), 7);
      await control.take();
    });

    test('rooms without a Redis counter count from Postgres, all in one query; every page uses one MGET', async () => {
      const a = await create(carol, 'pg one', 'private');
      const b = await create(carol, 'pg two', 'private');
      const c = await create(carol, 'live', 'private');
      const persist = (room: string, n: number) =>
        f.store.append(
          Array.from({ length: n }, (_, i) => ({
            v: 1 as const, id: randomUUID(), room, seq: i + 1, uid: carol.user.id, un: 'carol', cmid: randomUUID(), kind: 'text' as const, body: 'x', ts: Date.now(),
          })),
        );
      await persist(a, 2);
      await persist(b, 4);
      await post(carol, c, 3);
      // A counter that was lost (Redis restarted) after messages were persisted.
      await f.redis.del(f.keys.roomCounter(c));
      await persist(c, 3);

      const heads = countCalls(f.messaging.roomLog, 'heads');
      try {
        const first = await myRooms(carol, '?limit=2');
        const second = await myRooms(carol, `?limit=2&cursor=${first.nextCursor}`);
        assert.equal(heads.count, 2, 'one Redis round trip per page');
        assert.equal(second.nextCursor, null);
        assert.deepEqual(
          [...first.rooms, ...second.rooms].map((r) => [r.id, r.unread]),
          [[GLOBAL_ROOM_ID, 0], [a, 2], [b, 4], [c, 3]],
        );
      } finally {
        heads.restore();
      }
    });

    test('with Redis failing, my rooms still answer, counting from Postgres', async () => {
      const room = await create(alice, 'degraded', 'private');
      await post(alice, room, 2);
      const failing = countCalls(f.messaging.roomLog, 'heads', () => Promise.reject(new Error('connection lost')));
      try {
        const res = await myRooms(alice, '?limit=100');
        // Nothing was persisted, so Postgres says 0: stale, not wrong by more than the backlog.
        assert.equal(res.rooms.find((r) => r.id === room)?.unread, 0);
        assertProblem(await f.call(alice, 'PUT', `/v1/rooms/${room}/read`, { seq: 1 }), 503, 'unavailable');
      } finally {
        failing.restore();
      }
      assert.equal(await unread(alice, room), 2);
    });
  });

  describe('GET /v1/rooms/{id}/members', () => {
    test('shows how far each member has read', async () => {
      const room = await create(alice, 'who read what', 'public');
      await ok(bob, 'POST', `/v1/rooms/${room}/join`);
      await post(alice, room, 6);
      await read(alice, room, 6);
      await read(bob, room, 2);
      const res = await f.call(bob, 'GET', `/v1/rooms/${room}/members`);
      assert.equal(res.statusCode, 200, res.body);
      const seen = new Map(res.json<MembersResponse>().members.map((m) => [m.user.username, m.lastReadSeq]));
      assert.deepEqual(Object.fromEntries(seen), { alice: 6, bob: 2 });
      await control.take();
    });
  });
});

/**
 * Counts calls of the api's RoomLog reads of counters (one Redis round trip
 * each; optionally failing them), so a test can check how many round trips a
 * request made.
 */
function countCalls(roomLog: RoomLog, method: 'heads', replacement?: () => Promise<never>): { count: number; restore(): void } {
  const original = roomLog[method];
  const counter = {
    count: 0,
    restore: () => {
      roomLog[method] = original;
    },
  };
  roomLog[method] = (...args: Parameters<RoomLog['heads']>) => {
    counter.count++;
    return replacement ? replacement() : original.apply(roomLog, args);
  };
  return counter;
}
