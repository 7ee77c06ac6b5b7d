/**
 * Chat features through the real api and two gateways: edits, reactions and
 * deletions, read positions and announcements reach members live.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GLOBAL_ROOM_ID, type HistoryResponse, type TokenResponse } from '../shared/http/schemas.js';
import type { ParleySocket } from '../shared/client/socket.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

describe('message changes across gateways', () => {
  let c: Cluster;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let aliceWs: ParleySocket;
  let bobWs: ParleySocket;

  before(async () => {
    c = await startCluster({ gateways: 2 });
    [alice, bob] = [await c.user('alice'), await c.user('bob')];
    [aliceWs, bobWs] = [await c.connect(0, alice.accessToken), await c.connect(1, bob.accessToken)];
    await Promise.all([aliceWs.next('welcome'), bobWs.next('welcome')]);
  });
  after(async () => {
    await c?.stop();
  });

  test('edit, react and delete: live events on the other gateway, tombstone in history', async () => {
    aliceWs.send({ type: 'publish', ref: 'p', room: GLOBAL_ROOM_ID, cmid: 'c1', body: 'helo' });
    const ack = await aliceWs.reply('p');
    assert.equal(ack.type, 'ack');
    const seq = ack.type === 'ack' ? ack.seq : 0;
    const path = `/v1/rooms/${GLOBAL_ROOM_ID}/messages/${seq}`;

    assert.equal((await c.request('PATCH', path, { body: 'hello' }, alice.accessToken)).status, 200);
    const edited = await bobWs.next('event', (e) => e.event === 'message_edited');
    assert.deepEqual({ seq: edited.seq, body: edited.body, by: edited.user?.username }, { seq, body: 'hello', by: 'alice' });

    assert.equal((await c.request('PUT', `${path}/reactions/${encodeURIComponent('❤️')}`, undefined, bob.accessToken)).status, 204);
    const reacted = await aliceWs.next('event', (e) => e.event === 'reaction_added');
    assert.deepEqual({ seq: reacted.seq, emoji: reacted.emoji, by: reacted.user?.username }, { seq, emoji: '❤️', by: 'bob' });

    assert.equal((await c.request('DELETE', path, undefined, alice.accessToken)).status, 204);
    assert.equal((await bobWs.next('event', (e) => e.event === 'message_deleted')).seq, seq);
    const page = await c.get<HistoryResponse>(`/v1/rooms/${GLOBAL_ROOM_ID}/messages`, bob.accessToken);
    const m = page.body.messages.find((x) => x.seq === seq)!;
    assert.deepEqual({ body: m.body, deleted: m.deleted }, { body: '', deleted: true });
  });

  test('marking a room read updates the reader\'s other devices live and the unread count', async () => {
    const bobPhone = await c.connect(0, bob.accessToken);
    await bobPhone.next('welcome');
    for (const cmid of ['r1', 'r2', 'r3']) {
      aliceWs.send({ type: 'publish', ref: cmid, room: GLOBAL_ROOM_ID, cmid, body: cmid });
      assert.equal((await aliceWs.reply(cmid)).type, 'ack');
    }
    const last = (await c.get<{ rooms: { id: string; unread: number }[] }>('/v1/rooms', bob.accessToken)).body.rooms.find((r) => r.id === GLOBAL_ROOM_ID)!;
    assert.ok(last.unread >= 3, JSON.stringify(last));
    const seq = (await bobWs.next('message', (m) => m.cmid === 'r3')).seq;
    assert.equal((await c.request('PUT', `/v1/rooms/${GLOBAL_ROOM_ID}/read`, { seq }, bob.accessToken)).status, 200);
    const read = await bobPhone.next('event', (e) => e.event === 'read' && e.user?.id === bob.user.id);
    assert.equal(read.seq, seq);
    const after = (await c.get<{ rooms: { id: string; unread: number }[] }>('/v1/rooms', bob.accessToken)).body.rooms.find((r) => r.id === GLOBAL_ROOM_ID)!;
    assert.equal(after.unread, 0);
    await bobPhone.close();
  });

  test('an admin\'s announcement reaches every connected socket, and later sockets get it after welcome', async () => {
    const refused = await c.post<{ code: string }>('/v1/announcements', { body: 'hi all' }, bob.accessToken);
    assert.equal(refused.status, 403);
    await c.db.sql`update users set is_admin = true where id = ${alice.user.id}`;
    const posted = await c.post<{ id: string }>('/v1/announcements', { body: 'welcome to parley' }, alice.accessToken);
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    for (const ws of [aliceWs, bobWs]) assert.equal((await ws.next('announcement')).id, posted.body.id);
    const later = await c.connect(1, bob.accessToken);
    await later.next('welcome');
    assert.equal((await later.next('announcement')).body, 'welcome to parley');
    await later.close();
  });
});
