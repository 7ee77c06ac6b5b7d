/**
 * The full authorization matrix: user kind × action × room kind, every cell
 * asserted against the rules of the room model, through the real api and a
 * real gateway. The expected table is written from the rules, not from the
 * implementation:
 * - members (owner, admin, member) read, subscribe and publish;
 * - owners and admins update, invite and kick; only the owner deletes;
 * - a non-member of a public room may preview it (get, members, history)
 *   unless banned; it may not act on it, subscribe or publish;
 * - a private room or DM does not exist for a non-member (404, like an
 *   unknown id), whether invited, kicked, banned or a stranger;
 * - in a DM nobody updates, deletes, invites or kicks.
 *
 * Subscribe and publish are asserted over every transport (the raw
 * WebSocket endpoint, Socket.IO over WebSocket and over long-polling),
 * which must agree cell by cell.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Problem, TokenResponse } from '../shared/http/schemas.js';
import type { ErrorCode } from '../shared/errors.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

const ACTIONS = ['get', 'update', 'list_members', 'invite', 'kick', 'history', 'subscribe', 'publish', 'delete'] as const;
const KINDS = ['owner', 'admin', 'member', 'invited', 'kicked', 'banned', 'stranger'] as const;
type Action = (typeof ACTIONS)[number];
type Kind = (typeof KINDS)[number];
type RoomKind = 'public' | 'private' | 'dm';
type Outcome = 'allow' | ErrorCode;
/** Subscribe and publish cells run over each: the raw endpoint and Socket.IO over WebSocket and long-polling. */
const TRANSPORTS = ['websocket', 'socketio-websocket', 'socketio-polling'] as const;

function expected(room: RoomKind, kind: Kind, action: Action): Outcome | null {
  const member = kind === 'owner' || kind === 'admin' || kind === 'member';
  if (room === 'dm') {
    if (kind === 'member') return ['update', 'delete', 'invite', 'kick'].includes(action) ? 'forbidden' : 'allow';
    if (kind === 'stranger') return 'room_not_found';
    return null; // a DM has no owner, admins, invitations, kicks or bans
  }
  if (member) {
    if (action === 'delete') return kind === 'owner' ? 'allow' : 'forbidden';
    if (action === 'update' || action === 'invite' || action === 'kick') return kind === 'member' ? 'forbidden' : 'allow';
    return 'allow';
  }
  if (room === 'private') return 'room_not_found';
  // Public room, non-member.
  if (action === 'subscribe' || action === 'publish') return 'room_not_found';
  if (kind === 'banned') return 'banned';
  return ['get', 'list_members', 'history'].includes(action) ? 'allow' : 'forbidden';
}

interface World {
  room: string;
  users: Partial<Record<Kind, TokenResponse>>;
  /** In a DM, the other participant: the only possible kick target. */
  peer?: TokenResponse;
}

describe('authorization matrix', () => {
  let c: Cluster;
  let serial = 0;
  const fresh = () => c.user(`user${++serial}`);
  const code = (res: { status: number; body: unknown }, ok: number): Outcome =>
    res.status === ok ? 'allow' : ((res.body as Problem | null)?.code ?? (`http_${res.status}` as ErrorCode));

  /** Makes `user` a plain member of `room` the way a real client would. */
  async function addMember(room: string, kind: RoomKind, owner: TokenResponse, user: TokenResponse) {
    if (kind === 'public') {
      assert.equal((await c.post(`/v1/rooms/${room}/join`, undefined, user.accessToken)).status, 200);
    } else {
      assert.equal((await c.post(`/v1/rooms/${room}/invites`, { username: user.user.username }, owner.accessToken)).status, 201);
      assert.equal((await c.post(`/v1/rooms/${room}/invites/accept`, undefined, user.accessToken)).status, 200);
    }
  }

  async function world(kind: RoomKind): Promise<World> {
    if (kind === 'dm') {
      const [a, b, stranger] = [await fresh(), await fresh(), await fresh()];
      const dm = await c.post<{ id: string }>('/v1/dms', { username: b.user.username }, a.accessToken);
      assert.equal(dm.status, 201, JSON.stringify(dm.body));
      return { room: dm.body.id, users: { member: a, stranger }, peer: b };
    }
    const users = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, await fresh()] as const))) as Record<Kind, TokenResponse>;
    const created = await c.post<{ id: string }>('/v1/rooms', { name: `room-${kind}-${serial}`, visibility: kind }, users.owner.accessToken);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const room = created.body.id;
    const owner = users.owner;
    for (const k of ['admin', 'member', 'kicked', 'banned'] as const) await addMember(room, kind, owner, users[k]);
    const asOwner = (method: string, path: string, body?: unknown) => c.request(method, `/v1/rooms/${room}${path}`, body, owner.accessToken);
    assert.equal((await asOwner('PUT', `/members/${users.admin.user.id}/role`, { role: 'admin' })).status, 200);
    assert.equal((await asOwner('DELETE', `/members/${users.kicked.user.id}`)).status, 204);
    assert.equal((await asOwner('PUT', `/bans/${users.banned.user.id}`, {})).status, 204);
    assert.equal((await asOwner('POST', '/invites', { username: users.invited.user.username })).status, 201);
    return { room, users };
  }

  async function act(kind: RoomKind, w: World, who: TokenResponse, action: Action): Promise<Outcome> {
    const t = who.accessToken;
    const path = `/v1/rooms/${w.room}`;
    switch (action) {
      case 'get':
        return code(await c.get(path, t), 200);
      case 'update':
        return code(await c.request('PATCH', path, { topic: `topic ${++serial}` }, t), 200);
      case 'list_members':
        return code(await c.get(`${path}/members`, t), 200);
      case 'history':
        return code(await c.get(`${path}/messages`, t), 200);
      case 'invite':
        return code(await c.post(`${path}/invites`, { username: (await fresh()).user.username }, t), 201);
      case 'kick': {
        let target: TokenResponse;
        if (w.peer) target = w.peer;
        else {
          target = await fresh();
          await addMember(w.room, kind, w.users.owner!, target);
        }
        return code(await c.request('DELETE', `${path}/members/${target.user.id}`, undefined, t), 204);
      }
      case 'delete':
        return code(await c.request('DELETE', path, undefined, t), 204);
      case 'subscribe':
      case 'publish': {
        // The same cell over every transport: they must agree.
        const outcomes = await Promise.all(TRANSPORTS.map((transport) => overSocket(transport, t, w.room, action)));
        const agreed = outcomes.every((o) => o === outcomes[0]);
        return agreed ? outcomes[0]! : (`transports disagree: ${TRANSPORTS.map((tr, i) => `${tr} ${outcomes[i]}`).join(', ')}` as ErrorCode);
      }
    }
  }

  /** Subscribe (is the room in `welcome`?) or publish (ack or error code) over one transport. */
  async function overSocket(transport: (typeof TRANSPORTS)[number], token: string, room: string, action: 'subscribe' | 'publish'): Promise<Outcome> {
    const ws =
      transport === 'websocket'
        ? await c.connect(0, token)
        : await c.connectSocketIo(0, token, { transports: [transport === 'socketio-polling' ? 'polling' : 'websocket'] });
    try {
      const welcome = await ws.next('welcome');
      if (action === 'subscribe') return welcome.rooms.includes(room) ? 'allow' : 'room_not_found';
      ws.send({ type: 'publish', ref: 'p', room, cmid: `m${++serial}`, body: 'matrix' });
      const reply = await ws.reply('p');
      return reply.type === 'ack' ? 'allow' : reply.type === 'error' ? reply.code : 'internal';
    } finally {
      await ws.close();
    }
  }

  before(async () => {
    c = await startCluster({ gateways: 1 });
  });
  after(async () => {
    await c?.stop();
  });

  for (const kind of ['public', 'private', 'dm'] as const) {
    test(`${kind} rooms: every user kind × action cell follows the rules`, async () => {
      const w = await world(kind);
      const mismatches: string[] = [];
      let cells = 0;
      // Delete runs last, and the owner's (the one that succeeds) very last.
      const order = [...ACTIONS.filter((a) => a !== 'delete'), 'delete' as const];
      for (const action of order) {
        const kinds = action === 'delete' ? [...KINDS.filter((k) => k !== 'owner'), 'owner' as const] : KINDS;
        for (const k of kinds) {
          const want = expected(kind, k, action);
          const who = w.users[k];
          if (want === null || !who) continue;
          const got = await act(kind, w, who, action);
          cells++;
          if (got !== want) mismatches.push(`${kind} × ${k} × ${action}: expected ${want}, got ${got}`);
        }
      }
      assert.deepEqual(mismatches, [], `${mismatches.length} of ${cells} cells disagree with the rules`);
      assert.ok(cells >= (kind === 'dm' ? 18 : 63));
    });
  }
});
