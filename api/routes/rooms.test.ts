/**
 * Rooms over real Postgres and Redis: create, get, update, delete, my rooms,
 * public room search, and the control events they publish.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  GLOBAL_ROOM_ID,
  type MyRoom,
  type MyRoomsResponse,
  type Problem,
  type Room,
  type RoomsResponse,
  type TokenResponse,
} from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, type ApiFixture, type ControlRecorder } from '../testing.js';

describe('rooms', () => {
  let f: ApiFixture;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let carol: TokenResponse;
  let control: ControlRecorder;

  const create = async (who: TokenResponse, body: Record<string, unknown>): Promise<MyRoom> => {
    const res = await f.call(who, 'POST', '/v1/rooms', body);
    assert.equal(res.statusCode, 201, res.body);
    return res.json<MyRoom>();
  };
  const join = async (who: TokenResponse, room: string) => {
    const res = await f.call(who, 'POST', `/v1/rooms/${room}/join`);
    assert.equal(res.statusCode, 200, res.body);
  };

  before(async () => {
    f = await createApiFixture();
    alice = await f.user('alice');
    bob = await f.user('bob');
    carol = await f.user('carol');
    control = await f.controlEvents();
  });
  after(async () => {
    await f?.cleanup();
  });

  describe('POST /v1/rooms', () => {
    test('creates a public room owned by the caller, trimmed, and announces the owner joined', async () => {
      await control.take();
      const room = await create(alice, { name: '  Lounge  ', topic: ' hi there ', visibility: 'public' });
      assert.equal(room.kind, 'public');
      assert.equal(room.name, 'Lounge');
      assert.equal(room.topic, 'hi there');
      assert.equal(room.role, 'owner');
      assert.equal(room.unread, 0);
      assert.equal(room.memberCount, 1);
      assert.equal(room.createdAt, room.updatedAt);
      assert.equal('peer' in room, false);
      const [member] = await f.sql`select role from room_members where room_id = ${room.id} and user_id = ${alice.user.id}`;
      assert.equal(member!.role, 'owner');
      assert.deepEqual(await control.take(), [
        {
          type: 'membership_changed',
          room: room.id,
          change: 'joined',
          user: { id: alice.user.id, username: 'alice' },
          actor: null,
          role: 'owner',
        },
      ]);
    });

    test('creates a private room; the topic defaults to empty', async () => {
      const room = await create(alice, { name: 'secret', visibility: 'private' });
      assert.equal(room.kind, 'private');
      assert.equal(room.topic, '');
    });

    test('public names are unique regardless of case; private names need not be', async () => {
      await create(alice, { name: 'Unique Name', visibility: 'public' });
      assertProblem(await f.call(bob, 'POST', '/v1/rooms', { name: 'unique name', visibility: 'public' }), 409, 'room_name_taken');
      assertProblem(await f.call(bob, 'POST', '/v1/rooms', { name: ' UNIQUE NAME ', visibility: 'public' }), 409, 'room_name_taken');
      await create(bob, { name: 'unique name', visibility: 'private' });
      await create(carol, { name: 'unique name', visibility: 'private' });
    });

    const bad: [string, unknown, string][] = [
      ['no name', { visibility: 'public' }, '/body'],
      ['empty name', { name: '', visibility: 'public' }, '/body/name'],
      ['blank name', { name: '   ', visibility: 'public' }, '/body/name'],
      ['65-character name', { name: 'x'.repeat(65), visibility: 'public' }, '/body/name'],
      ['name with a newline', { name: 'a\nb', visibility: 'public' }, '/body/name'],
      ['name with a tab', { name: '\tab', visibility: 'public' }, '/body/name'],
      ['name with NUL', { name: 'a\u0000', visibility: 'public' }, '/body/name'],
      ['name not a string', { name: { text: 'x' }, visibility: 'public' }, '/body/name'],
      ['257-character topic', { name: 'ok', topic: 't'.repeat(257), visibility: 'public' }, '/body/topic'],
      ['topic with a control character', { name: 'ok', topic: 'a\u0007', visibility: 'public' }, '/body/topic'],
      ['unknown visibility', { name: 'ok', visibility: 'secret' }, '/body/visibility'],
      ['kind dm', { name: 'ok', visibility: 'dm' }, '/body/visibility'],
      ['no visibility', { name: 'ok' }, '/body'],
      ['unknown property', { name: 'ok', visibility: 'public', owner: 'bob' }, '/body'],
    ];
    for (const [what, body, path] of bad) {
      test(`${what} is 400 bad_request with errors`, async () => {
        const problem = assertProblem(await f.call(alice, 'POST', '/v1/rooms', body), 400, 'bad_request');
        assert.ok(problem.errors?.some((e) => e.path.startsWith(path)), JSON.stringify(problem.errors));
      });
    }

    test('64 characters and unicode are fine', async () => {
      const room = await create(alice, { name: 'é'.repeat(64), visibility: 'private' });
      assert.equal(room.name, 'é'.repeat(64));
      const emoji = await create(alice, { name: 'chat 💬 room', topic: 't'.repeat(256), visibility: 'public' });
      assert.equal(emoji.name, 'chat 💬 room');
    });

    test('without a token it is 401, before validation', async () => {
      assertProblem(await f.call(null, 'POST', '/v1/rooms', { name: '' }), 401, 'unauthorized');
    });

    test('a control event that cannot be published does not fail the committed change', async () => {
      const publish = f.deps.publishControl;
      let attempts = 0;
      f.deps.publishControl = async () => {
        attempts++;
        throw new Error('Redis is unreachable');
      };
      try {
        const room = await create(bob, { name: 'unannounced', visibility: 'public' });
        assert.equal(attempts, 1);
        assert.equal((await f.call(bob, 'GET', `/v1/rooms/${room.id}`)).statusCode, 200);
      } finally {
        f.deps.publishControl = publish;
      }
    });
  });

  describe('GET /v1/rooms/:id', () => {
    test('members see the room; non-members see a public room; a banned user is told so', async () => {
      const room = await create(alice, { name: 'seen', visibility: 'public' });
      const own = await f.call(alice, 'GET', `/v1/rooms/${room.id}`);
      assert.equal(own.statusCode, 200, own.body);
      const { role: _role, unread: _unread, ...asRoom } = room;
      assert.deepEqual(own.json<Room>(), asRoom);
      const other = await f.call(bob, 'GET', `/v1/rooms/${room.id}`);
      assert.equal(other.statusCode, 200);
      assert.equal(other.json<Room>().memberCount, 1);

      assert.equal((await f.call(alice, 'PUT', `/v1/rooms/${room.id}/bans/${bob.user.id}`)).statusCode, 204);
      assertProblem(await f.call(bob, 'GET', `/v1/rooms/${room.id}`), 403, 'banned');
    });

    test('a private room is 404 to a non-member exactly like a missing id', async () => {
      const room = await create(alice, { name: 'hidden', visibility: 'private' });
      assert.equal((await f.call(alice, 'GET', `/v1/rooms/${room.id}`)).statusCode, 200);
      const hidden = assertProblem(await f.call(bob, 'GET', `/v1/rooms/${room.id}`), 404, 'room_not_found');
      const missing = assertProblem(await f.call(bob, 'GET', `/v1/rooms/${randomUUID()}`), 404, 'room_not_found');
      const strip = ({ instance: _i, ...rest }: Problem) => rest;
      assert.deepEqual(strip(hidden), strip(missing));
    });

    test('the global room is visible to everyone and counts every user', async () => {
      const res = await f.call(bob, 'GET', `/v1/rooms/${GLOBAL_ROOM_ID}`);
      assert.equal(res.statusCode, 200);
      const room = res.json<Room>();
      assert.equal(room.kind, 'global');
      const [{ n }] = (await f.sql<{ n: number }[]>`select count(*)::int as n from users`) as unknown as [{ n: number }];
      assert.equal(room.memberCount, n);
    });

    test('an id that is not a uuid is 400; /v1/rooms/public is not read as an id', async () => {
      assertProblem(await f.call(alice, 'GET', '/v1/rooms/not-a-uuid'), 400, 'bad_request');
      assert.equal((await f.call(alice, 'GET', '/v1/rooms/public')).statusCode, 200);
    });
  });

  describe('PATCH /v1/rooms/:id', () => {
    test('owner and admin change name, topic and visibility; room_updated is published', async () => {
      const room = await create(alice, { name: 'patchme', visibility: 'public' });
      await join(bob, room.id);
      assert.equal((await f.call(alice, 'PUT', `/v1/rooms/${room.id}/members/${bob.user.id}/role`, { role: 'admin' })).statusCode, 200);
      await control.take();

      const res = await f.call(bob, 'PATCH', `/v1/rooms/${room.id}`, { name: ' patched ', topic: 'new topic' });
      assert.equal(res.statusCode, 200, res.body);
      const patched = res.json<Room>();
      assert.equal(patched.name, 'patched');
      assert.equal(patched.topic, 'new topic');
      assert.equal(patched.kind, 'public');
      assert.ok(patched.updatedAt > room.updatedAt);
      assert.deepEqual(await control.take(), [
        {
          type: 'room_updated',
          room: room.id,
          name: 'patched',
          topic: 'new topic',
          visibility: 'public',
          actor: { id: bob.user.id, username: 'bob' },
        },
      ]);

      const priv = await f.call(alice, 'PATCH', `/v1/rooms/${room.id}`, { visibility: 'private' });
      assert.equal(priv.json<Room>().kind, 'private');
      assert.equal(priv.json<Room>().name, 'patched');
      assertProblem(await f.call(carol, 'GET', `/v1/rooms/${room.id}`), 404, 'room_not_found');
      const cleared = await f.call(alice, 'PATCH', `/v1/rooms/${room.id}`, { topic: '' });
      assert.equal(cleared.json<Room>().topic, '');
    });

    test('a plain member is 403 forbidden; a stranger of a public room too; of a private room 404', async () => {
      const pub = await create(alice, { name: 'nopatch', visibility: 'public' });
      await join(bob, pub.id);
      assertProblem(await f.call(bob, 'PATCH', `/v1/rooms/${pub.id}`, { topic: 'x' }), 403, 'forbidden');
      assertProblem(await f.call(carol, 'PATCH', `/v1/rooms/${pub.id}`, { topic: 'x' }), 403, 'forbidden');
      const priv = await create(alice, { name: 'nopatch', visibility: 'private' });
      assertProblem(await f.call(carol, 'PATCH', `/v1/rooms/${priv.id}`, { topic: 'x' }), 404, 'room_not_found');
      assertProblem(await f.call(carol, 'PATCH', `/v1/rooms/${randomUUID()}`, { topic: 'x' }), 404, 'room_not_found');
    });

    test('making a private room public checks the public name, regardless of case', async () => {
      await create(alice, { name: 'Taken Name', visibility: 'public' });
      const priv = await create(bob, { name: 'taken name', visibility: 'private' });
      assertProblem(await f.call(bob, 'PATCH', `/v1/rooms/${priv.id}`, { visibility: 'public' }), 409, 'room_name_taken');
      const other = await create(bob, { name: 'another', visibility: 'public' });
      assertProblem(await f.call(bob, 'PATCH', `/v1/rooms/${other.id}`, { name: 'TAKEN NAME' }), 409, 'room_name_taken');
      // Renaming a public room to its own name in another case is fine.
      const same = await f.call(bob, 'PATCH', `/v1/rooms/${other.id}`, { name: 'Another' });
      assert.equal(same.statusCode, 200, same.body);
    });

    test('nobody can update the global room', async () => {
      assertProblem(await f.call(alice, 'PATCH', `/v1/rooms/${GLOBAL_ROOM_ID}`, { topic: 'x' }), 403, 'forbidden');
    });

    for (const [what, body] of [
      ['an empty body', {}],
      ['a blank name', { name: ' ' }],
      ['a control character in the topic', { topic: 'a\rb' }],
      ['kind', { kind: 'dm' }],
      ['visibility dm', { visibility: 'dm' }],
    ] as const) {
      test(`${what} is 400 bad_request`, async () => {
        const room = await create(alice, { name: `bad-${what}`, visibility: 'private' });
        const problem = assertProblem(await f.call(alice, 'PATCH', `/v1/rooms/${room.id}`, body), 400, 'bad_request');
        assert.ok(problem.errors && problem.errors.length > 0);
      });
    }
  });

  describe('DELETE /v1/rooms/:id', () => {
    test('only the owner deletes; the room, its members and history go; room_deleted is published', async () => {
      const room = await create(alice, { name: 'doomed', visibility: 'public' });
      await join(bob, room.id);
      assert.equal((await f.call(alice, 'PUT', `/v1/rooms/${room.id}/members/${bob.user.id}/role`, { role: 'admin' })).statusCode, 200);
      assertProblem(await f.call(bob, 'DELETE', `/v1/rooms/${room.id}`), 403, 'forbidden');
      assertProblem(await f.call(carol, 'DELETE', `/v1/rooms/${room.id}`), 403, 'forbidden');
      await control.take();

      const res = await f.call(alice, 'DELETE', `/v1/rooms/${room.id}`);
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.deepEqual(await control.take(), [
        { type: 'room_deleted', room: room.id, actor: { id: alice.user.id, username: 'alice' } },
      ]);
      assertProblem(await f.call(alice, 'GET', `/v1/rooms/${room.id}`), 404, 'room_not_found');
      assert.equal((await f.sql`select 1 from room_members where room_id = ${room.id}`).length, 0);
      assertProblem(await f.call(alice, 'DELETE', `/v1/rooms/${room.id}`), 404, 'room_not_found');
    });

    test('a private room is 404 to a stranger; the global room cannot be deleted', async () => {
      const room = await create(alice, { name: 'private doomed', visibility: 'private' });
      assertProblem(await f.call(bob, 'DELETE', `/v1/rooms/${room.id}`), 404, 'room_not_found');
      assertProblem(await f.call(alice, 'DELETE', `/v1/rooms/${GLOBAL_ROOM_ID}`), 403, 'forbidden');
    });
  });

  describe('GET /v1/rooms (my rooms)', () => {
    test('pages through my rooms in the order I joined them, with role and unread', async () => {
      const dave = await f.user('dave');
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await create(dave, { name: `dave-${i}`, visibility: 'private' })).id);
      const pub = await create(alice, { name: 'dave joins this', visibility: 'public' });
      await join(dave, pub.id);
      const expected = [GLOBAL_ROOM_ID, ...created, pub.id];

      const seen: MyRoom[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await f.call(dave, 'GET', `/v1/rooms?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(res.statusCode, 200, res.body);
        const body: MyRoomsResponse = res.json<MyRoomsResponse>();
        assert.ok(body.rooms.length <= 3);
        seen.push(...body.rooms);
        cursor = body.nextCursor;
        pages++;
      } while (cursor !== null);
      assert.equal(pages, 3);
      assert.deepEqual(seen.map((r) => r.id), expected);
      assert.deepEqual(seen.map((r) => r.role), ['member', 'owner', 'owner', 'owner', 'owner', 'owner', 'member']);
      assert.ok(seen.every((r) => r.unread === 0));

      const all = (await f.call(dave, 'GET', '/v1/rooms')).json<MyRoomsResponse>();
      assert.deepEqual(all.rooms.map((r) => r.id), expected);
      assert.equal(all.nextCursor, null);
      const exact = (await f.call(dave, 'GET', '/v1/rooms?limit=7')).json<MyRoomsResponse>();
      assert.equal(exact.rooms.length, 7);
      assert.equal(exact.nextCursor, null);
    });

    test('several rooms joined in one instant still page without gaps or repeats', async () => {
      const erin = await f.user('erin');
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await create(alice, { name: `same-instant-${i}`, visibility: 'private' })).id);
      // One statement: every row gets the same joined_at.
      await f.sql`insert into room_members (room_id, user_id) select unnest(${ids}::uuid[]), ${erin.user.id}`;
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const body: MyRoomsResponse = (await f.call(erin, 'GET', `/v1/rooms?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
        seen.push(...body.rooms.map((r) => r.id));
        cursor = body.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(seen.slice(1).sort(), [...ids].sort());
      assert.equal(seen.length, 5);
    });

    for (const query of ['?limit=0', '?limit=101', '?limit=x', '?cursor=', '?cursor=!!', '?cursor=abc', '?other=1']) {
      test(`${query} is 400 bad_request`, async () => {
        const problem = assertProblem(await f.call(alice, 'GET', `/v1/rooms${query}`), 400, 'bad_request');
        assert.ok(problem.errors && problem.errors.length > 0);
        assert.match(problem.errors[0]!.path, /^\/querystring/);
      });
    }

    test('a cursor from another listing is 400', async () => {
      for (let i = 0; i < 3; i++) await create(alice, { name: `listing-${i}`, visibility: 'public' });
      const pub = (await f.call(alice, 'GET', '/v1/rooms/public?limit=1')).json<RoomsResponse>();
      assert.ok(pub.nextCursor);
      assertProblem(await f.call(alice, 'GET', `/v1/rooms?cursor=${pub.nextCursor}`), 400, 'bad_request');
    });
  });

  describe('GET /v1/rooms/public', () => {
    let fx: ApiFixture;
    let zed: TokenResponse;
    const names = ['general', 'General Chat', 'generators', 'random', 'music', 'gaming', 'genealogy', 'rust', 'typescript'];

    const list = async (query: string): Promise<RoomsResponse> => {
      const res = await fx.call(zed, 'GET', `/v1/rooms/public${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return res.json<RoomsResponse>();
    };
    const all = async (query: string, limit: number): Promise<Room[]> => {
      const rooms: Room[] = [];
      let cursor: string | null = null;
      do {
        const body: RoomsResponse = await list(`${query}${query ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        rooms.push(...body.rooms);
        cursor = body.nextCursor;
      } while (cursor !== null);
      return rooms;
    };

    before(async () => {
      // A database of its own, so other tests' rooms do not show up.
      fx = await createApiFixture();
      zed = await fx.user('zed');
      for (const name of names) {
        const res = await fx.call(zed, 'POST', '/v1/rooms', { name, visibility: 'public' });
        assert.equal(res.statusCode, 201, res.body);
      }
      await fx.call(zed, 'POST', '/v1/rooms', { name: 'general private', visibility: 'private' });
    });
    after(async () => {
      await fx?.cleanup();
    });

    test('without q: every public room by name, paged, private and global rooms left out', async () => {
      const expected = [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
      const rooms = await all('', 2);
      assert.deepEqual(rooms.map((r) => r.name), expected);
      assert.ok(rooms.every((r) => r.kind === 'public' && r.memberCount === 1));
      assert.deepEqual((await list('?q=%20%20')).rooms.map((r) => r.name), expected.slice(0, 50));
    });

    test('"genral" finds "general" first', async () => {
      const rooms = (await list('?q=genral')).rooms.map((r) => r.name);
      assert.equal(rooms[0], 'general');
      assert.ok(!rooms.includes('random') && !rooms.includes('general private'), rooms.join());
    });

    test('a prefix matches, most similar first, case-insensitively', async () => {
      const rooms = (await list('?q=GEN')).rooms.map((r) => r.name);
      for (const name of ['general', 'General Chat', 'generators', 'genealogy']) assert.ok(rooms.includes(name), `${name} in ${rooms.join()}`);
      assert.ok(!rooms.includes('gaming') && !rooms.includes('music'));
    });

    test('search results page without gaps or repeats', async () => {
      const whole = (await list('?q=gen')).rooms.map((r) => r.id);
      const paged = (await all('?q=gen', 1)).map((r) => r.id);
      assert.deepEqual(paged, whole);
      assert.ok(whole.length >= 4);
    });

    test('LIKE wildcards in q are literal', async () => {
      assert.deepEqual((await list('?q=%25')).rooms, []);
      assert.deepEqual((await list('?q=_')).rooms, []);
    });

    test('a cursor of another search is 400', async () => {
      const first = await list('?q=gen&limit=1');
      assert.ok(first.nextCursor);
      assertProblem(await fx.call(zed, 'GET', `/v1/rooms/public?q=mus&cursor=${first.nextCursor}`), 400, 'bad_request');
      assertProblem(await fx.call(zed, 'GET', `/v1/rooms/public?cursor=${first.nextCursor}`), 400, 'bad_request');
    });

    for (const query of ['?limit=0', '?limit=101', `?q=${'x'.repeat(65)}`, '?q=a%00', '?cursor=%2B%2F']) {
      test(`${query.slice(0, 20)} is 400 bad_request`, async () => {
        assertProblem(await fx.call(zed, 'GET', `/v1/rooms/public${query}`), 400, 'bad_request');
      });
    }
  });
});
