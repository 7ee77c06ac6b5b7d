/**
 * POST /v1/dms over real Postgres and Redis: one room per pair of users,
 * created once even under concurrent first calls, and closed to everyone else.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MembersResponse, MyRoom, MyRoomsResponse, Room, TokenResponse } from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, type ApiFixture, type ControlRecorder } from '../testing.js';

describe('POST /v1/dms', () => {
  let f: ApiFixture;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let carol: TokenResponse;
  let control: ControlRecorder;

  const dm = (who: TokenResponse, username: string) => f.call(who, 'POST', '/v1/dms', { username });

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

  test('the first call creates the DM (201), announces both members; later calls from either side return it (200)', async () => {
    await control.take();
    const created = await dm(alice, 'bob');
    assert.equal(created.statusCode, 201, created.body);
    const room = created.json<MyRoom>();
    assert.equal(room.kind, 'dm');
    assert.equal(room.name, 'bob');
    assert.deepEqual(room.peer, { id: bob.user.id, username: 'bob' });
    assert.equal(room.role, 'member');
    assert.equal(room.memberCount, 2);
    const [row] = await f.sql<{ dm_key: string }[]>`select dm_key from rooms where id = ${room.id}`;
    assert.equal(row!.dm_key, [alice.user.id, bob.user.id].sort().join(':'));
    assert.deepEqual(await control.take(), [
      {
        type: 'membership_changed',
        room: room.id,
        change: 'joined',
        user: { id: alice.user.id, username: 'alice' },
        actor: null,
        role: 'member',
      },
      {
        type: 'membership_changed',
        room: room.id,
        change: 'joined',
        user: { id: bob.user.id, username: 'bob' },
        actor: { id: alice.user.id, username: 'alice' },
        role: 'member',
      },
    ]);

    const again = await dm(alice, 'BOB');
    assert.equal(again.statusCode, 200);
    assert.equal(again.json<MyRoom>().id, room.id);
    const theirs = await dm(bob, 'alice');
    assert.equal(theirs.statusCode, 200);
    // Named after the other user, from each side.
    assert.equal(theirs.json<MyRoom>().name, 'alice');
    assert.deepEqual(theirs.json<MyRoom>().peer, { id: alice.user.id, username: 'alice' });
    assert.deepEqual(await control.take(), []);

    const bobsRooms = (await f.call(bob, 'GET', '/v1/rooms')).json<MyRoomsResponse>().rooms;
    assert.deepEqual(bobsRooms.find((r) => r.id === room.id)?.peer, { id: alice.user.id, username: 'alice' });
    const viaGet = (await f.call(bob, 'GET', `/v1/rooms/${room.id}`)).json<Room>();
    assert.equal(viaGet.name, 'alice');
    const members = (await f.call(bob, 'GET', `/v1/rooms/${room.id}/members`)).json<MembersResponse>().members;
    assert.deepEqual(members.map((m) => [m.user.username, m.role]).sort(), [['alice', 'member'], ['bob', 'member']]);
  });

  test('five concurrent first calls create exactly one room', async () => {
    const dave = await f.user('dave');
    const results = await Promise.all([
      dm(carol, 'dave'),
      dm(dave, 'carol'),
      dm(carol, 'dave'),
      dm(dave, 'carol'),
      dm(carol, 'dave'),
    ]);
    const ids = new Set(results.map((r) => r.json<MyRoom>().id));
    assert.equal(ids.size, 1);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 200, 200, 200, 201]);
    const key = [carol.user.id, dave.user.id].sort().join(':');
    assert.equal((await f.sql`select 1 from rooms where dm_key = ${key}`).length, 1);
    const [room] = ids;
    assert.equal((await f.sql`select 1 from room_members where room_id = ${room!}`).length, 2);
  });

  test('nobody else sees, joins or is invited into a DM; nobody leaves, manages or deletes it', async () => {
    const id = (await dm(alice, 'bob')).json<MyRoom>().id;
    assertProblem(await f.call(carol, 'GET', `/v1/rooms/${id}`), 404, 'room_not_found');
    assertProblem(await f.call(carol, 'GET', `/v1/rooms/${id}/messages`), 404, 'room_not_found');
    assertProblem(await f.call(carol, 'GET', `/v1/rooms/${id}/members`), 404, 'room_not_found');
    assertProblem(await f.call(carol, 'POST', `/v1/rooms/${id}/join`), 404, 'room_not_found');
    assertProblem(await f.call(alice, 'POST', `/v1/rooms/${id}/join`), 409, 'already_member');
    assertProblem(await f.call(alice, 'POST', `/v1/rooms/${id}/invites`, { username: 'carol' }), 403, 'forbidden');
    assertProblem(await f.call(alice, 'POST', `/v1/rooms/${id}/leave`), 403, 'forbidden');
    assertProblem(await f.call(alice, 'PATCH', `/v1/rooms/${id}`, { topic: 'x' }), 403, 'forbidden');
    assertProblem(await f.call(alice, 'DELETE', `/v1/rooms/${id}`), 403, 'forbidden');
    assertProblem(await f.call(alice, 'DELETE', `/v1/rooms/${id}/members/${bob.user.id}`), 403, 'forbidden');
    assertProblem(await f.call(alice, 'PUT', `/v1/rooms/${id}/bans/${bob.user.id}`), 403, 'forbidden');
    assertProblem(await f.call(alice, 'PUT', `/v1/rooms/${id}/members/${bob.user.id}/role`, { role: 'admin' }), 403, 'forbidden');
    const rooms = (await f.call(alice, 'GET', '/v1/rooms/public')).json<{ rooms: Room[] }>().rooms;
    assert.ok(!rooms.some((r) => r.id === id));
  });

  test('a DM with oneself is 400; an unknown user is 404; bad bodies are 400', async () => {
    const self = assertProblem(await dm(alice, 'ALICE'), 400, 'bad_request');
    assert.deepEqual(self.errors?.map((e) => e.path), ['/body/username']);
    assertProblem(await dm(alice, 'nobody'), 404, 'user_not_found');
    assertProblem(await dm(alice, 'a'), 400, 'bad_request');
    assertProblem(await f.call(alice, 'POST', '/v1/dms', {}), 400, 'bad_request');
    assertProblem(await f.call(alice, 'POST', '/v1/dms', { username: 'bob', extra: 1 }), 400, 'bad_request');
    assertProblem(await f.call(null, 'POST', '/v1/dms', { username: 'bob' }), 401, 'unauthorized');
  });
});
