/**
 * Membership over real Postgres and Redis: members listing, join and leave,
 * invitations, kicks, bans, roles and ownership transfer, and the control
 * events each change publishes.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  GLOBAL_ROOM_ID,
  type BansResponse,
  type Invite,
  type InvitesResponse,
  type Member,
  type MembersResponse,
  type MyRoom,
  type MyRoomsResponse,
  type TokenResponse,
} from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, type ApiFixture, type ControlRecorder } from '../testing.js';

describe('membership', () => {
  let f: ApiFixture;
  let owner: TokenResponse;
  let admin: TokenResponse;
  let member: TokenResponse;
  let stranger: TokenResponse;
  let control: ControlRecorder;
  let n = 0;

  const ref = (t: TokenResponse) => ({ id: t.user.id, username: t.user.username });
  const ok = async (res: Promise<import('fastify').LightMyRequestResponse>, status: number) => {
    const r = await res;
    assert.equal(r.statusCode, status, r.body);
    return r;
  };
  /** A fresh room with owner, an admin and a plain member. */
  const room = async (visibility: 'public' | 'private'): Promise<string> => {
    const res = await ok(f.call(owner, 'POST', '/v1/rooms', { name: `room-${++n}`, visibility }), 201);
    const id = res.json<MyRoom>().id;
    for (const who of [admin, member]) {
      if (visibility === 'public') await ok(f.call(who, 'POST', `/v1/rooms/${id}/join`), 200);
      else {
        await ok(f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: who.user.username }), 201);
        await ok(f.call(who, 'POST', `/v1/rooms/${id}/invites/accept`), 200);
      }
    }
    await ok(f.call(owner, 'PUT', `/v1/rooms/${id}/members/${admin.user.id}/role`, { role: 'admin' }), 200);
    await control.take();
    return id;
  };
  /** A user no other test has touched. */
  const fresh = () => f.user(`guest${++n}`);
  const roles = async (id: string) =>
    Object.fromEntries(
      (await f.sql<{ username: string; role: string }[]>`
        select u.username, m.role from room_members m join users u on u.id = m.user_id where m.room_id = ${id}
      `).map((r) => [r.username, r.role]),
    );
  const memberEvent = (id: string, change: string, user: TokenResponse, actor: TokenResponse | null, role?: string) => ({
    type: 'membership_changed',
    room: id,
    change,
    user: ref(user),
    actor: actor && ref(actor),
    ...(role ? { role } : {}),
  });

  before(async () => {
    f = await createApiFixture();
    owner = await f.user('owner');
    admin = await f.user('admin');
    member = await f.user('member');
    stranger = await f.user('stranger');
    control = await f.controlEvents();
  });
  beforeEach(async () => {
    await control.take();
  });
  after(async () => {
    await f?.cleanup();
  });

  describe('GET /v1/rooms/:id/members', () => {
    test('members in join order with roles, keyset-paged', async () => {
      const id = await room('public');
      const extra: TokenResponse[] = [];
      for (let i = 0; i < 4; i++) {
        extra.push(await f.user(`extra${n}x${i}`));
        await ok(f.call(extra[i]!, 'POST', `/v1/rooms/${id}/join`), 200);
      }
      const seen: Member[] = [];
      let cursor: string | null = null;
      do {
        const body: MembersResponse = (await ok(f.call(member, 'GET', `/v1/rooms/${id}/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`), 200)).json();
        assert.ok(body.members.length <= 2);
        seen.push(...body.members);
        cursor = body.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(
        seen.map((m) => [m.user.username, m.role]),
        [['owner', 'owner'], ['admin', 'admin'], ['member', 'member'], ...extra.map((e) => [e.user.username, 'member'])],
      );
      assert.ok(seen.every((m) => !Number.isNaN(Date.parse(m.joinedAt))));
    });

    test('public: a non-member may list; banned: 403; private: 404 to non-members', async () => {
      const pub = await room('public');
      assert.equal((await ok(f.call(stranger, 'GET', `/v1/rooms/${pub}/members`), 200)).json<MembersResponse>().members.length, 3);
      await ok(f.call(owner, 'PUT', `/v1/rooms/${pub}/bans/${stranger.user.id}`), 204);
      assertProblem(await f.call(stranger, 'GET', `/v1/rooms/${pub}/members`), 403, 'banned');
      const priv = await room('private');
      assertProblem(await f.call(stranger, 'GET', `/v1/rooms/${priv}/members`), 404, 'room_not_found');
      assertProblem(await f.call(stranger, 'GET', `/v1/rooms/${randomUUID()}/members`), 404, 'room_not_found');
      assertProblem(await f.call(member, 'GET', `/v1/rooms/${priv}/members?limit=0`), 400, 'bad_request');
      assertProblem(await f.call(member, 'GET', `/v1/rooms/${priv}/members?cursor=nope`), 400, 'bad_request');
    });
  });

  describe('join and leave', () => {
    test('joining a public room makes a member and announces it; joining again is 409', async () => {
      const id = await room('public');
      const res = await ok(f.call(stranger, 'POST', `/v1/rooms/${id}/join`), 200);
      const joined = res.json<MyRoom>();
      assert.equal(joined.role, 'member');
      assert.equal(joined.memberCount, 4);
      assert.deepEqual(await control.take(), [memberEvent(id, 'joined', stranger, null, 'member')]);
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${id}/join`), 409, 'already_member');
      assertProblem(await f.call(owner, 'POST', `/v1/rooms/${id}/join`), 409, 'already_member');
      const mine = (await ok(f.call(stranger, 'GET', '/v1/rooms'), 200)).json<MyRoomsResponse>();
      assert.ok(mine.rooms.some((r) => r.id === id && r.role === 'member'));
    });

    test('a private room cannot be joined: 404 like a missing room, even when invited', async () => {
      const id = await room('private');
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${id}/join`), 404, 'room_not_found');
      await ok(f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: 'stranger' }), 201);
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${id}/join`), 404, 'room_not_found');
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${randomUUID()}/join`), 404, 'room_not_found');
      assertProblem(await f.call(stranger, 'POST', '/v1/rooms/xyz/join'), 400, 'bad_request');
    });

    test('members leave (left is announced); the owner must transfer first', async () => {
      const id = await room('private');
      await ok(f.call(member, 'POST', `/v1/rooms/${id}/leave`), 204);
      assert.deepEqual(await control.take(), [memberEvent(id, 'left', member, null)]);
      await ok(f.call(admin, 'POST', `/v1/rooms/${id}/leave`), 204);
      assertProblem(await f.call(owner, 'POST', `/v1/rooms/${id}/leave`), 409, 'owner_must_transfer');
      assert.deepEqual(await roles(id), { owner: 'owner' });
      // Having left a private room, it is invisible again.
      assertProblem(await f.call(member, 'GET', `/v1/rooms/${id}`), 404, 'room_not_found');
      assertProblem(await f.call(member, 'POST', `/v1/rooms/${id}/leave`), 404, 'room_not_found');
    });

    test('leaving a public room one is not in is 404 member_not_found', async () => {
      const id = await room('public');
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${id}/leave`), 404, 'member_not_found');
    });

    test('nobody leaves the global room', async () => {
      assertProblem(await f.call(member, 'POST', `/v1/rooms/${GLOBAL_ROOM_ID}/leave`), 403, 'forbidden');
      assertProblem(await f.call(member, 'POST', `/v1/rooms/${GLOBAL_ROOM_ID}/join`), 409, 'already_member');
    });
  });

  describe('invitations', () => {
    test('owner or admin invites; the invitee lists, accepts, and is a member; events for both', async () => {
      const id = await room('private');
      const stranger = await fresh();
      const res = await ok(f.call(admin, 'POST', `/v1/rooms/${id}/invites`, { username: stranger.user.username.toUpperCase() }), 201);
      const invite = res.json<Invite>();
      assert.equal(invite.room.id, id);
      assert.equal(invite.room.memberCount, 3);
      assert.deepEqual(invite.user, ref(stranger));
      assert.deepEqual(invite.invitedBy, ref(admin));
      assert.deepEqual(await control.take(), [memberEvent(id, 'invited', stranger, admin)]);

      // Inviting again answers the pending invitation, without a second event.
      const again = await ok(f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: stranger.user.username }), 200);
      assert.deepEqual(again.json<Invite>(), invite);
      assert.deepEqual(await control.take(), []);

      const mine = (await ok(f.call(stranger, 'GET', '/v1/invites'), 200)).json<InvitesResponse>();
      assert.deepEqual(mine.invites, [invite]);
      // Invited is not a member: the private room is still invisible.
      assertProblem(await f.call(stranger, 'GET', `/v1/rooms/${id}`), 404, 'room_not_found');
      assertProblem(await f.call(stranger, 'GET', `/v1/rooms/${id}/messages`), 404, 'room_not_found');

      const accepted = (await ok(f.call(stranger, 'POST', `/v1/rooms/${id}/invites/accept`), 200)).json<MyRoom>();
      assert.equal(accepted.id, id);
      assert.equal(accepted.role, 'member');
      assert.equal(accepted.memberCount, 4);
      assert.deepEqual(await control.take(), [memberEvent(id, 'joined', stranger, null, 'member')]);
      assert.deepEqual((await ok(f.call(stranger, 'GET', '/v1/invites'), 200)).json<InvitesResponse>().invites, []);
      await ok(f.call(stranger, 'GET', `/v1/rooms/${id}`), 200);
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${id}/invites/accept`), 409, 'already_member');
    });

    test('declining drops the invitation; without one, accept and decline are 404 invite_not_found', async () => {
      const id = await room('private');
      const stranger = await fresh();
      await ok(f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: stranger.user.username }), 201);
      await ok(f.call(stranger, 'POST', `/v1/rooms/${id}/invites/decline`), 204);
      assert.deepEqual((await ok(f.call(stranger, 'GET', '/v1/invites'), 200)).json<InvitesResponse>().invites, []);
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${id}/invites/accept`), 404, 'invite_not_found');
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${id}/invites/decline`), 404, 'invite_not_found');
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${randomUUID()}/invites/accept`), 404, 'invite_not_found');
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${randomUUID()}/invites/decline`), 404, 'invite_not_found');
      assertProblem(await f.call(member, 'POST', `/v1/rooms/${id}/invites/decline`), 404, 'invite_not_found');
    });

    test('invitations to a public room work; joining uses the invitation up', async () => {
      const id = await room('public');
      const stranger = await fresh();
      await ok(f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: stranger.user.username }), 201);
      await ok(f.call(stranger, 'POST', `/v1/rooms/${id}/join`), 200);
      assert.deepEqual((await ok(f.call(stranger, 'GET', '/v1/invites'), 200)).json<InvitesResponse>().invites, []);
    });

    test('who may invite whom', async () => {
      const id = await room('private');
      assertProblem(await f.call(member, 'POST', `/v1/rooms/${id}/invites`, { username: 'stranger' }), 403, 'forbidden');
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${id}/invites`, { username: 'stranger' }), 404, 'room_not_found');
      assertProblem(await f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: 'member' }), 409, 'already_member');
      assertProblem(await f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: 'owner' }), 409, 'already_member');
      assertProblem(await f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: 'nobody' }), 404, 'user_not_found');
      // An unknown invitee is not revealed to someone who may not invite.
      assertProblem(await f.call(member, 'POST', `/v1/rooms/${id}/invites`, { username: 'nobody' }), 403, 'forbidden');
      await ok(f.call(owner, 'PUT', `/v1/rooms/${id}/bans/${stranger.user.id}`), 204);
      assertProblem(await f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: 'stranger' }), 403, 'banned');
      assertProblem(await f.call(owner, 'POST', `/v1/rooms/${GLOBAL_ROOM_ID}/invites`, { username: 'stranger' }), 403, 'forbidden');
      assertProblem(await f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: 'a' }), 400, 'bad_request');
      assertProblem(await f.call(owner, 'POST', `/v1/rooms/${id}/invites`, {}), 400, 'bad_request');
    });
  });

  describe('kick', () => {
    test('admin kicks a member (kicked is announced); the member may rejoin a public room', async () => {
      const id = await room('public');
      await ok(f.call(admin, 'DELETE', `/v1/rooms/${id}/members/${member.user.id}`), 204);
      assert.deepEqual(await control.take(), [memberEvent(id, 'kicked', member, admin)]);
      assert.equal((await roles(id)).member, undefined);
      await ok(f.call(member, 'POST', `/v1/rooms/${id}/join`), 200);
    });

    test('a kicked member of a private room loses sight of it and can be invited again', async () => {
      const id = await room('private');
      await ok(f.call(owner, 'DELETE', `/v1/rooms/${id}/members/${member.user.id}`), 204);
      assertProblem(await f.call(member, 'GET', `/v1/rooms/${id}`), 404, 'room_not_found');
      await ok(f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: 'member' }), 201);
      await ok(f.call(member, 'POST', `/v1/rooms/${id}/invites/accept`), 200);
    });

    test('who may kick whom', async () => {
      const id = await room('public');
      await ok(f.call(stranger, 'POST', `/v1/rooms/${id}/join`), 200);
      const kick = (who: TokenResponse, target: string) => f.call(who, 'DELETE', `/v1/rooms/${id}/members/${target}`);
      assertProblem(await kick(member, stranger.user.id), 403, 'forbidden');
      assertProblem(await kick(admin, owner.user.id), 403, 'forbidden');
      assertProblem(await kick(admin, admin.user.id), 403, 'forbidden');
      assertProblem(await kick(owner, owner.user.id), 403, 'forbidden');
      assertProblem(await kick(owner, randomUUID()), 404, 'user_not_found');
      assertProblem(await kick(member, randomUUID()), 403, 'forbidden');
      assertProblem(await kick(owner, 'not-a-uuid'), 400, 'bad_request');
      await ok(kick(owner, admin.user.id), 204);
      assertProblem(await kick(owner, admin.user.id), 404, 'member_not_found');
      assertProblem(await f.call(owner, 'DELETE', `/v1/rooms/${GLOBAL_ROOM_ID}/members/${stranger.user.id}`), 403, 'forbidden');
      const priv = await room('private');
      assertProblem(await f.call(stranger, 'DELETE', `/v1/rooms/${priv}/members/${member.user.id}`), 404, 'room_not_found');
    });
  });

  describe('bans', () => {
    test('a ban removes the member, announces banned, and keeps them out until unbanned', async () => {
      const id = await room('public');
      const res = await ok(f.call(admin, 'PUT', `/v1/rooms/${id}/bans/${member.user.id}`, { reason: ' spam ' }), 204);
      assert.equal(res.body, '');
      assert.deepEqual(await control.take(), [memberEvent(id, 'banned', member, admin)]);
      assert.equal((await roles(id)).member, undefined);
      assertProblem(await f.call(member, 'POST', `/v1/rooms/${id}/join`), 403, 'banned');
      assertProblem(await f.call(member, 'GET', `/v1/rooms/${id}`), 403, 'banned');
      assertProblem(await f.call(member, 'GET', `/v1/rooms/${id}/messages`), 403, 'banned');

      const bans = (await ok(f.call(admin, 'GET', `/v1/rooms/${id}/bans`), 200)).json<BansResponse>().bans;
      assert.equal(bans.length, 1);
      assert.deepEqual(bans[0]!.user, ref(member));
      assert.deepEqual(bans[0]!.bannedBy, ref(admin));
      assert.equal(bans[0]!.reason, 'spam');

      // Banning again only updates the reason: no second event.
      await ok(f.call(owner, 'PUT', `/v1/rooms/${id}/bans/${member.user.id}`, { reason: 'still spam' }), 204);
      assert.deepEqual(await control.take(), []);
      assert.equal((await ok(f.call(owner, 'GET', `/v1/rooms/${id}/bans`), 200)).json<BansResponse>().bans[0]!.reason, 'still spam');

      await ok(f.call(admin, 'DELETE', `/v1/rooms/${id}/bans/${member.user.id}`), 204);
      await ok(f.call(admin, 'DELETE', `/v1/rooms/${id}/bans/${member.user.id}`), 204);
      assert.deepEqual((await ok(f.call(owner, 'GET', `/v1/rooms/${id}/bans`), 200)).json<BansResponse>().bans, []);
      await ok(f.call(member, 'POST', `/v1/rooms/${id}/join`), 200);
    });

    test('banning a non-member is announced too and removes a pending invitation', async () => {
      const id = await room('private');
      const stranger = await fresh();
      await ok(f.call(owner, 'POST', `/v1/rooms/${id}/invites`, { username: stranger.user.username }), 201);
      await control.take();
      await ok(f.call(owner, 'PUT', `/v1/rooms/${id}/bans/${stranger.user.id}`), 204);
      assert.deepEqual(await control.take(), [memberEvent(id, 'banned', stranger, owner)]);
      assertProblem(await f.call(stranger, 'POST', `/v1/rooms/${id}/invites/accept`), 404, 'invite_not_found');
      assert.deepEqual((await ok(f.call(stranger, 'GET', '/v1/invites'), 200)).json<InvitesResponse>().invites, []);
      // To a banned user a private room is still just invisible.
      assertProblem(await f.call(stranger, 'GET', `/v1/rooms/${id}`), 404, 'room_not_found');
    });

    test('who may ban, unban and list bans', async () => {
      const id = await room('public');
      const ban = (who: TokenResponse, target: string, body?: unknown) => f.call(who, 'PUT', `/v1/rooms/${id}/bans/${target}`, body);
      assertProblem(await ban(member, stranger.user.id), 403, 'forbidden');
      assertProblem(await ban(admin, owner.user.id), 403, 'forbidden');
      assertProblem(await ban(owner, owner.user.id), 403, 'forbidden');
      assertProblem(await ban(owner, randomUUID()), 404, 'user_not_found');
      assertProblem(await ban(owner, stranger.user.id, { reason: 'x'.repeat(257) }), 400, 'bad_request');
      assertProblem(await ban(owner, stranger.user.id, { reason: 'a\nb' }), 400, 'bad_request');
      assertProblem(await ban(owner, stranger.user.id, { why: 'x' }), 400, 'bad_request');
      assertProblem(await f.call(member, 'GET', `/v1/rooms/${id}/bans`), 403, 'forbidden');
      assertProblem(await f.call(stranger, 'GET', `/v1/rooms/${id}/bans`), 403, 'forbidden');
      assertProblem(await f.call(member, 'DELETE', `/v1/rooms/${id}/bans/${stranger.user.id}`), 403, 'forbidden');
      assertProblem(await f.call(owner, 'DELETE', `/v1/rooms/${id}/bans/${randomUUID()}`), 404, 'user_not_found');
      await ok(ban(owner, admin.user.id), 204);
      assertProblem(await f.call(owner, 'PUT', `/v1/rooms/${GLOBAL_ROOM_ID}/bans/${stranger.user.id}`), 403, 'forbidden');
      const priv = await room('private');
      assertProblem(await f.call(stranger, 'GET', `/v1/rooms/${priv}/bans`), 404, 'room_not_found');
      assertProblem(await f.call(stranger, 'PUT', `/v1/rooms/${priv}/bans/${member.user.id}`), 404, 'room_not_found');
    });
  });

  describe('roles', () => {
    test('the owner promotes and demotes; role_changed is announced; unchanged roles publish nothing', async () => {
      const id = await room('public');
      const res = await ok(f.call(owner, 'PUT', `/v1/rooms/${id}/members/${member.user.id}/role`, { role: 'admin' }), 200);
      const promoted = res.json<Member>();
      assert.deepEqual(promoted.user, ref(member));
      assert.equal(promoted.role, 'admin');
      assert.deepEqual(await control.take(), [memberEvent(id, 'role_changed', member, owner, 'admin')]);
      await ok(f.call(owner, 'PUT', `/v1/rooms/${id}/members/${member.user.id}/role`, { role: 'admin' }), 200);
      assert.deepEqual(await control.take(), []);
      await ok(f.call(owner, 'PUT', `/v1/rooms/${id}/members/${member.user.id}/role`, { role: 'member' }), 200);
      assert.deepEqual(await roles(id), { owner: 'owner', admin: 'admin', member: 'member' });
    });

    test('transferring ownership makes the old owner an admin, with one event each', async () => {
      const id = await room('private');
      const res = await ok(f.call(owner, 'PUT', `/v1/rooms/${id}/members/${member.user.id}/role`, { role: 'owner' }), 200);
      assert.equal(res.json<Member>().role, 'owner');
      assert.deepEqual(await roles(id), { owner: 'admin', admin: 'admin', member: 'owner' });
      assert.deepEqual(await control.take(), [
        memberEvent(id, 'role_changed', owner, owner, 'admin'),
        memberEvent(id, 'role_changed', member, owner, 'owner'),
      ]);
      // The old owner can now leave; the new one cannot.
      assertProblem(await f.call(member, 'POST', `/v1/rooms/${id}/leave`), 409, 'owner_must_transfer');
      await ok(f.call(owner, 'POST', `/v1/rooms/${id}/leave`), 204);
      // Only the new owner deletes.
      assertProblem(await f.call(admin, 'DELETE', `/v1/rooms/${id}`), 403, 'forbidden');
      await ok(f.call(member, 'DELETE', `/v1/rooms/${id}`), 204);
    });

    test('who may set roles', async () => {
      const id = await room('public');
      const put = (who: TokenResponse, target: string, role: unknown) =>
        f.call(who, 'PUT', `/v1/rooms/${id}/members/${target}/role`, { role });
      assertProblem(await put(admin, member.user.id, 'admin'), 403, 'forbidden');
      assertProblem(await put(admin, admin.user.id, 'owner'), 403, 'forbidden');
      assertProblem(await put(member, member.user.id, 'admin'), 403, 'forbidden');
      assertProblem(await put(stranger, member.user.id, 'admin'), 403, 'forbidden');
      assertProblem(await put(owner, owner.user.id, 'member'), 409, 'owner_must_transfer');
      assertProblem(await put(owner, stranger.user.id, 'admin'), 404, 'member_not_found');
      assertProblem(await put(owner, randomUUID(), 'admin'), 404, 'user_not_found');
      assertProblem(await put(owner, member.user.id, 'superuser'), 400, 'bad_request');
      assertProblem(await put(owner, member.user.id, undefined), 400, 'bad_request');
      assertProblem(await f.call(owner, 'PUT', `/v1/rooms/${GLOBAL_ROOM_ID}/members/${member.user.id}/role`, { role: 'admin' }), 403, 'forbidden');
    });

    test('two concurrent transfers: exactly one wins and the room keeps exactly one owner', async () => {
      const id = await room('private');
      const [a, b] = await Promise.all([
        f.call(owner, 'PUT', `/v1/rooms/${id}/members/${admin.user.id}/role`, { role: 'owner' }),
        f.call(owner, 'PUT', `/v1/rooms/${id}/members/${member.user.id}/role`, { role: 'owner' }),
      ]);
      const statuses = [a!.statusCode, b!.statusCode].sort();
      assert.deepEqual(statuses, [200, 403], `${a!.body} ${b!.body}`);
      const loser = a!.statusCode === 403 ? a! : b!;
      assertProblem(loser, 403, 'forbidden');
      const owners = Object.entries(await roles(id)).filter(([, role]) => role === 'owner');
      assert.equal(owners.length, 1);
      assert.equal((await roles(id)).owner, 'admin');
    });

    test('a transfer racing the owner leaving: the room never ends up without its rules broken', async () => {
      const id = await room('public');
      const [transfer, leave] = await Promise.all([
        f.call(owner, 'PUT', `/v1/rooms/${id}/members/${member.user.id}/role`, { role: 'owner' }),
        f.call(owner, 'POST', `/v1/rooms/${id}/leave`),
      ]);
      assert.equal(transfer!.statusCode, 200, transfer!.body);
      // Leave ran either before the transfer (refused: still owner) or after (allowed: now admin).
      assert.ok([204, 409].includes(leave!.statusCode), leave!.body);
      const owners = Object.values(await roles(id)).filter((role) => role === 'owner');
      assert.equal(owners.length, 1);
    });
  });
});
