/**
 * Rooms end to end through the real api and two real gateways: an invitation
 * accepted on one gateway takes effect on the other, and a kick cuts the user
 * off at once. "Not delivered" is proven with a fence (see live-membership.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_ROOM_ID, type Problem, type TokenResponse } from '../shared/http/schemas.js';
import type { ParleySocket } from '../shared/client/socket.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

interface RoomBody {
  id: string;
  kind: string;
}

describe('rooms across gateways', () => {
  let c: Cluster;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let aliceWs: ParleySocket;
  let bobWs: ParleySocket;
  let room: string;
  let n = 0;
  const say = async (ws: ParleySocket, target: string, body: string) => {
    const ref = `r${++n}`;
    ws.send({ type: 'publish', ref, room: target, cmid: ref, body });
    return ws.reply(ref);
  };

  before(async () => {
    c = await startCluster({ gateways: 2 });
    alice = await c.user('alice');
    bob = await c.user('bob');
    aliceWs = await c.connect(0, alice.accessToken);
    bobWs = await c.connect(1, bob.accessToken);
    await aliceWs.next('welcome');
    await bobWs.next('welcome');
  });
  after(async () => {
    await c?.stop();
  });

  test('alice creates a private room; bob cannot see it or publish to it', async () => {
    const created = await c.post<RoomBody>('/v1/rooms', { name: 'plans', topic: 'secret', visibility: 'private' }, alice.accessToken);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    room = created.body.id;
    await aliceWs.next('event', (e) => e.event === 'member_joined' && e.room === room);
    const peek = await c.get<Problem>(`/v1/rooms/${room}`, bob.accessToken);
    assert.equal(peek.status, 404);
    assert.equal(peek.body.code, 'room_not_found');
    assert.equal((await say(bobWs, room, 'hi?')).type, 'error');
  });

  test('bob, connected to gateway 2, is invited, accepts, and receives alice\'s next message', async () => {
    const invite = await c.post(`/v1/rooms/${room}/invites`, { username: 'bob' }, alice.accessToken);
    assert.equal(invite.status, 201, JSON.stringify(invite.body));
    await bobWs.next('event', (e) => e.event === 'invited' && e.room === room);
    const accept = await c.post(`/v1/rooms/${room}/invites/accept`, undefined, bob.accessToken);
    assert.equal(accept.status, 200, JSON.stringify(accept.body));
    // Bob's copy of member_joined marks the moment his socket receives the room.
    await bobWs.next('event', (e) => e.event === 'member_joined' && e.room === room && e.user?.id === bob.user.id);
    const sent = await say(aliceWs, room, 'welcome, bob');
    assert.equal(sent.type, 'ack');
    const got = await bobWs.next('message', (m) => m.room === room);
    assert.equal(got.body, 'welcome, bob');
    assert.equal((await say(bobWs, room, 'glad to be here')).type, 'ack');
  });

  test('bob is kicked: his next publish is refused and nothing more reaches him', async () => {
    const kick = await c.request('DELETE', `/v1/rooms/${room}/members/${bob.user.id}`, undefined, alice.accessToken);
    assert.equal(kick.status, 204, JSON.stringify(kick.body));
    await bobWs.next('event', (e) => e.event === 'member_kicked' && e.room === room);
    const refused = await say(bobWs, room, 'am I still here?');
    assert.equal(refused.type, 'error');
    assert.equal(refused.type === 'error' && refused.code, 'room_not_found');

    const secret = await say(aliceWs, room, 'bob is gone');
    assert.equal(secret.type, 'ack');
    const fence = await say(aliceWs, GLOBAL_ROOM_ID, 'fence');
    assert.equal(fence.type, 'ack');
    await bobWs.next('message', (m) => fence.type === 'ack' && m.id === fence.id);
    assert.equal(
      bobWs.frames.some((f) => f.type === 'message' && f.room === room && f.body === 'bob is gone'),
      false,
      'a kicked user received a message from the room',
    );
    assert.equal((await c.get(`/v1/rooms/${room}/messages`, bob.accessToken)).status, 404);
  });
});
