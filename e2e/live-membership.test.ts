/**
 * Gateways apply membership changes to live sockets, cluster-wide. Changes are
 * made here the way the api makes them (commit in Postgres, then a control
 * event on Redis), so this tests the gateway's side of the contract on its own.
 *
 * "Not delivered" is proven with a fence, never a timeout: a gateway receives
 * all pub/sub messages on one Redis connection in publish order and writes
 * them to each socket in that order, so once a socket has the fence message,
 * anything published before it that the socket should have had is there too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedis, isCluster, type RedisClient } from '../shared/redis/connect.js';
import { GLOBAL_ROOM_ID, type TokenResponse } from '../shared/http/schemas.js';
import { redisKeys } from '../shared/redis/keys.js';
import { publishControl } from '../shared/broker/redis-bus.js';
import type { ControlEvent, MembershipChange } from '../shared/broker/control.js';
import type { ParleySocket } from '../shared/client/socket.js';
import { eventually } from '../testkit/processes.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

describe('live membership across gateways', () => {
  let c: Cluster;
  let redis: RedisClient;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let aliceWs: ParleySocket;
  let bobWs: ParleySocket;
  let bobWs1: ParleySocket;
  const room = crypto.randomUUID();
  let seq = 0;
  const control = (event: ControlEvent) => publishControl(redis, redisKeys(c.redis.config.keyPrefix), event);
  const who = (t: TokenResponse) => ({ id: t.user.id, username: t.user.username });
  const change = (user: TokenResponse, kind: MembershipChange, actor: TokenResponse | null = null): ControlEvent => ({
    type: 'membership_changed',
    room,
    change: kind,
    user: who(user),
    actor: actor ? who(actor) : null,
    ...(kind === 'joined' ? { role: 'member' as const } : {}),
  });
  /** alice publishes to `target`; resolves with the acked seq. */
  const say = async (target: string, body: string) => {
    const ref = `r${++seq}`;
    aliceWs.send({ type: 'publish', ref, room: target, cmid: ref, body });
    const ack = await aliceWs.next('ack', (a) => a.ref === ref);
    return ack;
  };
  /** Publishes a fence to the global room and waits until `ws` has it. */
  const fence = async (ws: ParleySocket) => {
    const f = await say(GLOBAL_ROOM_ID, `fence ${seq}`);
    await ws.next('message', (m) => m.id === f.id);
  };

  before(async () => {
    c = await startCluster({ gateways: 2 });
    redis = createRedis(c.redis.config.topology);
    alice = await c.user('alice');
    bob = await c.user('bob');
    await c.db.sql`insert into rooms (id, kind, name, created_by) values (${room}, 'private', 'secret', ${alice.user.id})`;
    await c.db.sql`insert into room_members (room_id, user_id, role) values (${room}, ${alice.user.id}, 'owner')`;
    aliceWs = await c.connect(0, alice.accessToken);
    bobWs = await c.connect(1, bob.accessToken);
    bobWs1 = await c.connect(0, bob.accessToken);
    const w = await aliceWs.next('welcome');
    assert.ok(w.rooms.includes(room));
    assert.ok(!(await bobWs.next('welcome')).rooms.includes(room));
    await bobWs1.next('welcome');
  });
  after(async () => {
    redis?.disconnect();
    await c?.stop();
  });

  test('a non-member cannot publish to the room', async () => {
    bobWs.send({ type: 'publish', ref: 'b0', room, cmid: 'b0', body: 'let me in' });
    assert.equal((await bobWs.next('error', (e) => e.ref === 'b0')).code, 'room_not_found');
  });

  test('after joining, every socket of the user receives the room without reconnecting', async () => {
    await c.db.sql`insert into room_members (room_id, user_id, role) values (${room}, ${bob.user.id}, 'member')`;
    await control(change(bob, 'joined', alice));
    const joined = await aliceWs.next('event', (e) => e.event === 'member_joined' && e.room === room);
    assert.equal(joined.user?.username, 'bob');
    for (const ws of [bobWs, bobWs1]) await ws.next('event', (e) => e.event === 'member_joined' && e.room === room);
    const m = await say(room, 'welcome bob');
    for (const ws of [bobWs, bobWs1]) assert.equal((await ws.next('message', (x) => x.id === m.id)).body, 'welcome bob');
    bobWs.send({ type: 'publish', ref: 'b1', room, cmid: 'b1', body: 'thanks' });
    assert.equal((await bobWs.next('ack', (a) => a.ref === 'b1')).room, room);
  });

  test('after a kick, the user is told, cannot publish, and receives nothing more from the room', async () => {
    await c.db.sql`delete from room_members where room_id = ${room} and user_id = ${bob.user.id}`;
    await control(change(bob, 'kicked', alice));
    for (const ws of [bobWs, bobWs1]) {
      const kicked = await ws.next('event', (e) => e.event === 'member_kicked' && e.room === room);
      assert.equal(kicked.actor?.username, 'alice');
    }
    await aliceWs.next('event', (e) => e.event === 'member_kicked');
    bobWs.send({ type: 'publish', ref: 'b2', room, cmid: 'b2', body: 'still here?' });
    assert.equal((await bobWs.next('error', (e) => e.ref === 'b2')).code, 'room_not_found');
    const secret = await say(room, 'after the kick');
    for (const ws of [bobWs, bobWs1]) {
      await fence(ws);
      assert.equal(ws.frames.some((f) => f.type === 'message' && f.id === secret.id), false, 'kicked user got a room message');
    }
  });

  test('room updates reach members; deleting the room removes it from every socket', async () => {
    await control({ type: 'room_updated', room, name: 'renamed', topic: 't', visibility: 'private', actor: who(alice) });
    const upd = await aliceWs.next('event', (e) => e.event === 'room_updated');
    assert.deepEqual(upd.settings, { name: 'renamed', topic: 't', visibility: 'private' });
    // As the api does: the room goes from Postgres first, then the event is announced.
    await c.db.sql`delete from rooms where id = ${room}`;
    await control({ type: 'room_deleted', room, actor: who(alice) });
    await aliceWs.next('event', (e) => e.event === 'room_deleted' && e.room === room);
    const ref = 'after-delete';
    aliceWs.send({ type: 'publish', ref, room, cmid: ref, body: 'gone' });
    assert.equal((await aliceWs.next('error', (e) => e.ref === ref)).code, 'room_not_found');
  });

  test('after a lost event, a gateway that reconnects to Redis resynchronises from Postgres', async () => {
    const other = crypto.randomUUID();
    await c.db.sql`insert into rooms (id, kind, name, created_by) values (${other}, 'private', 'quiet', ${alice.user.id})`;
    await c.db.sql`insert into room_members (room_id, user_id, role) values (${other}, ${alice.user.id}, 'owner'), (${other}, ${bob.user.id}, 'member')`;
    // No control event: the gateways never hear of these memberships. Drop both
    // gateways' subscriber connections; on reconnect they must reload.
    // In a Redis Cluster each gateway has a subscriber link to every primary
    // (named by ioredis after the client's name); all of them are dropped.
    const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
    let links = 0;
    for (const node of nodes) {
      const clients = String(await node.client('LIST'));
      const subs = clients.split('\n').filter((l) => /name=\S*parley-gateway-sub /.test(l) && / flags=\S*P/.test(l));
      links += subs.length;
      for (const line of subs) await node.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
    }
    assert.equal(links, 2 * nodes.length);
    // Both gateways resync independently: a message alice sends before bob's
    // gateway has subscribed him is, for bob, history from before he had the
    // room. What must hold is that both get the room, and live delivery starts.
    const m = await eventually('bob to receive live what alice sends to the resynced room', async () => {
      const ref = `probe${++seq}`;
      aliceWs.send({ type: 'publish', ref, room: other, cmid: ref, body: 'hello quiet room' });
      const reply = await aliceWs.reply(ref);
      if (reply.type !== 'ack') return undefined;
      return bobWs.next('message', (x) => x.id === reply.id, 500).catch(() => undefined);
    });
    assert.equal(m.body, 'hello quiet room');
  });
});
