/**
 * Presence over HTTP, over real Postgres and Redis. Users are marked online
 * with the port directly (`connect('gw-test', …)`), standing in for a
 * gateway; each test ends by dropping that gateway, so every test starts with
 * nobody online.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { PresenceChanged } from '../../shared/broker/control.js';
import type {
  MyRoom,
  OnlineResponse,
  PresenceResponse,
  RoomPresenceResponse,
  StatusResponse,
  TokenResponse,
} from '../../shared/http/schemas.js';
import { GLOBAL_ROOM_ID } from '../../shared/http/schemas.js';
import { testLogger } from '../../testkit/logger.js';
import { buildApp } from '../http/app.js';
import { encodeCursor } from '../rooms/cursor.js';
import { assertProblem, createApiFixture, type ApiFixture, type ControlRecorder } from '../testing.js';

const GW = 'gw-test';

describe('presence over HTTP', () => {
  let f: ApiFixture;
  let control: ControlRecorder;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let carol: TokenResponse;
  let dave: TokenResponse;

  const online = (...who: { user: { id: string } }[]) => Promise.all(who.map((w) => f.deps.presence.connect(GW, w.user.id)));
  const get = async <T>(who: TokenResponse, url: string): Promise<T> => {
    const res = await f.call(who, 'GET', url);
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    return res.json<T>();
  };
  const create = async (who: TokenResponse, name: string, visibility: 'public' | 'private'): Promise<string> => {
    const res = await f.call(who, 'POST', '/v1/rooms', { name, visibility });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<MyRoom>().id;
  };
  /** `n` users made in Postgres directly (registering through the api hashes passwords: slow), joined to `room` in order. */
  const members = async (room: string, n: number): Promise<{ id: string; username: string }[]> => {
    const prefix = `m${randomUUID().slice(0, 8)}_`;
    const users = await f.sql<{ id: string; username: string }[]>`
      insert into users (username, password_hash)
      select ${prefix} || lpad(i::text, 4, '0'), 'not a hash' from generate_series(1, ${n}) i
      returning id, username`;
    users.sort((a, b) => a.username.localeCompare(b.username));
    // Distinct join times fix the members' keyset order.
    await f.sql`
      insert into room_members (room_id, user_id, joined_at)
      select ${room}, u.id, now() + make_interval(secs => u.ord) from unnest(${users.map((u) => u.id)}::uuid[]) with ordinality u(id, ord)`;
    return users.map(({ id, username }) => ({ id, username }));
  };

  before(async () => {
    // Small enough that the global room (every user) gets no per-user presence events, while a DM does.
    f = await createApiFixture({ presenceRoomEventsMaxMembers: 2 });
    alice = await f.user('alice');
    bob = await f.user('bob');
    carol = await f.user('carol');
    dave = await f.user('dave');
    control = await f.controlEvents();
  });
  afterEach(async () => {
    await f.deps.presence.leave(GW);
    await f.redis.del(f.keys.presenceStatus(), f.keys.presenceLastSeen());
    await control.take();
  });
  after(async () => {
    await f?.cleanup();
  });

  describe('GET /v1/presence', () => {
    test('answers each requested user in request order: online, last seen, status', async () => {
      await online(alice, bob);
      await f.deps.presence.disconnect(GW, bob.user.id);
      await f.deps.presence.setStatus(alice.user.id, { text: 'lunch', away: true });
      const nobody = randomUUID();
      const before = Date.now();
      const { users } = await get<PresenceResponse>(
        carol,
        `/v1/presence?user=${bob.user.id}&user=${nobody}&user=${alice.user.id}&user=${bob.user.id}`,
      );
      assert.deepEqual(
        users.map((u) => [u.userId, u.online, u.status]),
        [
          [bob.user.id, false, null],
          [nobody, false, null],
          [alice.user.id, true, { text: 'lunch', away: true }],
          [bob.user.id, false, null],
        ],
      );
      assert.equal(users[1]!.lastSeen, null, 'never seen');
      for (const u of [users[0]!, users[2]!]) {
        assert.ok(u.lastSeen !== null && Date.parse(u.lastSeen) <= before + 1000, `${u.userId} lastSeen ${u.lastSeen}`);
      }
    });

    test('one id is enough (a single `user=` is a list of one)', async () => {
      await online(bob);
      const { users } = await get<PresenceResponse>(alice, `/v1/presence?user=${bob.user.id}`);
      assert.deepEqual(users.map((u) => [u.userId, u.online]), [[bob.user.id, true]]);
    });

    test('200 users at once', async () => {
      const ids = Array.from({ length: 200 }, () => randomUUID());
      await Promise.all(ids.filter((_, i) => i % 7 === 0).map((id) => f.deps.presence.connect(GW, id)));
      const { users } = await get<PresenceResponse>(alice, `/v1/presence?${ids.map((id) => `user=${id}`).join('&')}`);
      assert.deepEqual(users.map((u) => u.userId), ids);
      assert.deepEqual(users.map((u) => u.online), ids.map((_, i) => i % 7 === 0));
    });

    test('validation: 1–200 uuids, nothing else; authentication first', async () => {
      const many = Array.from({ length: 201 }, () => `user=${randomUUID()}`).join('&');
      assertProblem(await f.call(alice, 'GET', `/v1/presence?${many}`), 400, 'bad_request');
      assertProblem(await f.call(alice, 'GET', '/v1/presence'), 400, 'bad_request');
      assertProblem(await f.call(alice, 'GET', '/v1/presence?user=not-a-uuid'), 400, 'bad_request');
      assertProblem(await f.call(alice, 'GET', `/v1/presence?user=${bob.user.id}&other=1`), 400, 'bad_request');
      assertProblem(await f.call(null, 'GET', `/v1/presence?user=${bob.user.id}`), 401, 'unauthorized');
    });
  });

  describe('GET /v1/rooms/{id}/presence', () => {
    test('lists the online members in join order, with role, status and since', async () => {
      const room = await create(alice, 'presence private', 'private');
      await f.sql`insert into room_members (room_id, user_id) values (${room}, ${bob.user.id}), (${room}, ${carol.user.id})`;
      await online(carol, alice, dave);
      await f.deps.presence.setStatus(carol.user.id, { text: 'focus', away: false });
      const page = await get<RoomPresenceResponse>(bob, `/v1/rooms/${room}/presence`);
      assert.equal(page.nextCursor, null);
      assert.deepEqual(
        page.members.map((m) => [m.user, m.role, m.status]),
        [
          [{ id: alice.user.id, username: 'alice' }, 'owner', null],
          [{ id: carol.user.id, username: 'carol' }, 'member', { text: 'focus', away: false }],
        ],
      );
      for (const m of page.members) assert.ok(m.since && Date.parse(m.since) <= Date.now(), `since ${m.since}`);
    });

    test('access follows the member list: private non-members 404, banned 403, public strangers allowed', async () => {
      const priv = await create(alice, 'presence hidden', 'private');
      assertProblem(await f.call(bob, 'GET', `/v1/rooms/${priv}/presence`), 404, 'room_not_found');
      assertProblem(await f.call(bob, 'GET', `/v1/rooms/${randomUUID()}/presence`), 404, 'room_not_found');

      const pub = await create(alice, 'presence public', 'public');
      await online(alice);
      const seen = await get<RoomPresenceResponse>(carol, `/v1/rooms/${pub}/presence`);
      assert.deepEqual(seen.members.map((m) => m.user.id), [alice.user.id]);
      const ban = await f.call(alice, 'PUT', `/v1/rooms/${pub}/bans/${carol.user.id}`, {});
      assert.equal(ban.statusCode, 204, ban.body);
      assertProblem(await f.call(carol, 'GET', `/v1/rooms/${pub}/presence`), 403, 'banned');
      assertProblem(await f.call(null, 'GET', `/v1/rooms/${pub}/presence`), 401, 'unauthorized');
    });

    test('pages through every online member exactly once', async () => {
      const room = await create(alice, 'presence pages', 'private');
      const all = await members(room, 40);
      const up = all.filter((_, i) => i % 3 === 1);
      await Promise.all(up.map((u) => f.deps.presence.connect(GW, u.id)));

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: RoomPresenceResponse = await get<RoomPresenceResponse>(
          alice,
          `/v1/rooms/${room}/presence?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.ok(page.members.length <= 4);
        seen.push(...page.members.map((m) => m.user.username));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 50);
      assert.deepEqual(seen, up.map((u) => u.username));
      assert.ok(pages >= 4, `${pages} pages`);
    });

    test('stops after scanning 10 × limit members: a short page with a cursor', async () => {
      const room = await create(alice, 'presence sparse', 'private');
      const all = await members(room, 30);
      // The owner (alice) joined first and is offline; the only online member is the 26th member.
      await f.deps.presence.connect(GW, all[24]!.id);

      const first = await get<RoomPresenceResponse>(alice, `/v1/rooms/${room}/presence?limit=1`);
      assert.deepEqual(first.members, []);
      assert.ok(first.nextCursor);
      const second = await get<RoomPresenceResponse>(alice, `/v1/rooms/${room}/presence?limit=1&cursor=${first.nextCursor}`);
      assert.deepEqual(second.members, []);
      const third = await get<RoomPresenceResponse>(alice, `/v1/rooms/${room}/presence?limit=1&cursor=${second.nextCursor}`);
      assert.deepEqual(third.members.map((m) => m.user.id), [all[24]!.id]);
      assert.ok(third.nextCursor, 'members remain after the one found');
      const last = await get<RoomPresenceResponse>(alice, `/v1/rooms/${room}/presence?limit=1&cursor=${third.nextCursor}`);
      assert.deepEqual(last, { members: [], nextCursor: null });
    });

    test('validation: limit range and cursors of other listings', async () => {
      const room = await create(alice, 'presence validation', 'private');
      assertProblem(await f.call(alice, 'GET', `/v1/rooms/${room}/presence?limit=0`), 400, 'bad_request');
      assertProblem(await f.call(alice, 'GET', `/v1/rooms/${room}/presence?limit=101`), 400, 'bad_request');
      const foreign = encodeCursor('members', ['2020-01-01 00:00:00+00', randomUUID()]);
      assertProblem(await f.call(alice, 'GET', `/v1/rooms/${room}/presence?cursor=${foreign}`), 400, 'bad_request');
      assertProblem(await f.call(alice, 'GET', '/v1/rooms/nope/presence'), 400, 'bad_request');
    });
  });

  describe('GET /v1/online', () => {
    test('everyone online, oldest first, with usernames, statuses and the total, in pages', async () => {
      for (const who of [carol, alice, dave]) {
        await online(who);
        // Distinct since times make the order certain.
        await new Promise((r) => setTimeout(r, 3));
      }
      await f.deps.presence.setStatus(dave.user.id, { text: 'around', away: true });
      const first = await get<OnlineResponse>(bob, '/v1/online?limit=2');
      assert.equal(first.total, 3);
      assert.deepEqual(
        first.users.map((u) => [u.user, u.status]),
        [
          [{ id: carol.user.id, username: 'carol' }, null],
          [{ id: alice.user.id, username: 'alice' }, null],
        ],
      );
      assert.ok(Date.parse(first.users[0]!.since) <= Date.parse(first.users[1]!.since));
      assert.ok(first.nextCursor);
      const second = await get<OnlineResponse>(bob, `/v1/online?limit=2&cursor=${first.nextCursor}`);
      assert.deepEqual(
        second.users.map((u) => [u.user, u.status]),
        [[{ id: dave.user.id, username: 'dave' }, { text: 'around', away: true }]],
      );
      assert.equal(second.nextCursor, null);
    });

    test('many users; one without an account is counted but not listed', async () => {
      const room = await create(alice, 'presence crowd', 'private');
      const crowd = await members(room, 120);
      await Promise.all(crowd.map((u) => f.deps.presence.connect(GW, u.id)));
      await f.deps.presence.connect(GW, randomUUID());
      const listed: string[] = [];
      let cursor: string | null = null;
      let total = 0;
      do {
        const page: OnlineResponse = await get<OnlineResponse>(alice, `/v1/online?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        total = page.total;
        listed.push(...page.users.map((u) => u.user.username));
        cursor = page.nextCursor;
      } while (cursor !== null);
      assert.equal(total, 121);
      assert.deepEqual([...listed].sort(), crowd.map((u) => u.username).sort());
    });

    test('validation', async () => {
      assertProblem(await f.call(alice, 'GET', '/v1/online?limit=0'), 400, 'bad_request');
      assertProblem(await f.call(alice, 'GET', '/v1/online?cursor=5'), 400, 'bad_request');
      assertProblem(await f.call(alice, 'GET', `/v1/online?cursor=${encodeCursor('presence', ['a', 'b'])}`), 400, 'bad_request');
      assertProblem(await f.call(null, 'GET', '/v1/online'), 401, 'unauthorized');
    });
  });

  describe('PUT and DELETE /v1/me/status', () => {
    const dm = async (a: TokenResponse, b: TokenResponse): Promise<string> => {
      const res = await f.call(a, 'POST', '/v1/dms', { username: b.user.username });
      assert.ok(res.statusCode === 201 || res.statusCode === 200, res.body);
      return res.json<MyRoom>().id;
    };
    const presenceOf = async (who: TokenResponse) =>
      (await get<PresenceResponse>(alice, `/v1/presence?user=${who.user.id}`)).users[0]!;

    test('sets a trimmed status, shows it in reads, and publishes presence_changed to small rooms', async () => {
      const room = await dm(bob, carol);
      await online(bob);
      // Opening the DM announced its own membership events.
      await control.take();
      const res = await f.call(bob, 'PUT', '/v1/me/status', { text: '  in a meeting  ', away: false });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json<StatusResponse>(), { status: { text: 'in a meeting', away: false } });

      const state = await presenceOf(bob);
      assert.deepEqual(state.status, { text: 'in a meeting', away: false });
      assert.equal(state.online, true);
      const listed = await get<OnlineResponse>(alice, '/v1/online');
      assert.deepEqual(listed.users.find((u) => u.user.id === bob.user.id)?.status, { text: 'in a meeting', away: false });
      const inRoom = await get<RoomPresenceResponse>(carol, `/v1/rooms/${room}/presence`);
      assert.deepEqual(inRoom.members.map((m) => m.status), [{ text: 'in a meeting', away: false }]);

      const events = await control.take();
      assert.equal(events.length, 1, JSON.stringify(events));
      const event = events[0] as PresenceChanged;
      assert.equal(event.type, 'presence_changed');
      assert.deepEqual(event.user, { id: bob.user.id, username: 'bob' });
      assert.equal(event.online, true);
      assert.deepEqual(event.status, { text: 'in a meeting', away: false });
      assert.equal(event.lastSeen, Date.parse(state.lastSeen!));
      // The DM (2 members) gets per-user events; the global room (more than 2) does not.
      assert.deepEqual(event.rooms, [room]);
      assert.ok(!event.rooms.includes(GLOBAL_ROOM_ID));
    });

    test('empty text clears the text; with away false there is no status at all', async () => {
      const away = await f.call(dave, 'PUT', '/v1/me/status', { text: '   ', away: true });
      assert.deepEqual(away.json<StatusResponse>(), { status: { text: '', away: true } });
      assert.deepEqual((await presenceOf(dave)).status, { text: '', away: true });
      const none = await f.call(dave, 'PUT', '/v1/me/status', { text: '', away: false });
      assert.deepEqual(none.json<StatusResponse>(), { status: null });
      assert.equal((await presenceOf(dave)).status, null);
      const events = (await control.take()) as PresenceChanged[];
      assert.deepEqual(events.map((e) => [e.status, e.online, e.lastSeen]), [
        [{ text: '', away: true }, false, null],
        [null, false, null],
      ]);
    });

    test('DELETE clears it (204, idempotent) and publishes presence_changed', async () => {
      await online(carol);
      await f.call(carol, 'PUT', '/v1/me/status', { text: 'busy', away: true });
      await control.take();
      const res = await f.call(carol, 'DELETE', '/v1/me/status');
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');
      assert.equal((await presenceOf(carol)).status, null);
      const again = await f.call(carol, 'DELETE', '/v1/me/status');
      assert.equal(again.statusCode, 204);
      const events = (await control.take()) as PresenceChanged[];
      assert.equal(events.length, 2);
      assert.ok(events.every((e) => e.type === 'presence_changed' && e.status === null && e.online && e.user.id === carol.user.id));
    });

    test('validation: 80 characters at most, no control characters, both fields, nothing else', async () => {
      const ok = await f.call(alice, 'PUT', '/v1/me/status', { text: 'é'.repeat(80), away: false });
      assert.equal(ok.statusCode, 200, ok.body);
      for (const body of [
        { text: 'x'.repeat(81), away: false },
        { text: 'two\nlines', away: false },
        { text: 'no away' },
        { away: true },
        { text: 'x', away: 'yes' },
        { text: 'x', away: false, extra: 1 },
      ]) {
        assertProblem(await f.call(alice, 'PUT', '/v1/me/status', body), 400, 'bad_request');
      }
      assertProblem(await f.call(null, 'PUT', '/v1/me/status', { text: 'x', away: false }), 401, 'unauthorized');
      assertProblem(await f.call(null, 'DELETE', '/v1/me/status'), 401, 'unauthorized');
    });

    test('a failed publish is logged, not an error: the status is stored', async () => {
      const app = await buildApp(f.http, testLogger(), {
        ...f.deps,
        publishControl: () => Promise.reject(new Error('control channel down')),
      });
      try {
        const res = await app.inject({
          method: 'PUT',
          url: '/v1/me/status',
          headers: { authorization: `Bearer ${bob.accessToken}` },
          payload: { text: 'offline-ish', away: true },
        });
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual((await presenceOf(bob)).status, { text: 'offline-ish', away: true });
      } finally {
        await app.close();
      }
    });
  });
});
