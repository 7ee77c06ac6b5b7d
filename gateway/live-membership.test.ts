/**
 * LiveMembership's ordering rules, staged deterministically: real Redis
 * subscriptions and real Postgres memberships; only the uWS socket is a stand-in
 * (our own Socket surface: user data, topic subscribe/unsubscribe, frames sent).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createTestRedis, type TestRedis } from '../testkit/redis.js';
import { createTestDatabase, type TestDatabase } from '../testkit/postgres.js';
import { testLogger } from '../testkit/logger.js';
import { redisKeys } from '../shared/redis/keys.js';
import { RedisBus } from '../shared/broker/redis-bus.js';
import type { MembershipChanged } from '../shared/broker/control.js';
import type { ServerFrame } from '../shared/protocol/frames.js';
import { eventually } from '../testkit/processes.js';
import { createGatewayMetrics } from './metrics.js';
import { RoomSubscriptions } from './fanout/subscriptions.js';
import { createControlDispatcher } from './control/index.js';
import type { ControlEvent } from '../shared/broker/control.js';
import { SessionIndex } from './sessions.js';
import { Sender, type Conn, type Socket } from './connection.js';
import { LiveMembership } from './live-membership.js';
import { CatchUps } from './fanout/catch-up.js';
import { pgRoomsOfUsers, type RoomsOfUsers } from './membership.js';

interface FakeSocket {
  ws: Socket;
  conn: Conn;
  topics: Set<string>;
  sent: ServerFrame[];
}

describe('LiveMembership ordering rules', () => {
  let r: TestRedis;
  let db: TestDatabase;
  let sub: Redis;
  let sessions: SessionIndex;
  let membership: LiveMembership;
  /** Control events reach LiveMembership through the gateway's own control handlers. */
  let control: (event: ControlEvent) => void;
  /** When set, the next membership query waits for it: stages a slow snapshot. */
  let gate: Promise<void> | null = null;
  /** Called once a gated query has its snapshot, before it waits on the gate. */
  let onSnapshot: (() => void) | null = null;
  let queries = 0;
  const bob = { id: crypto.randomUUID(), username: 'bob' };

  const socket = (rooms: string[], roomsReadAt = Date.now()): FakeSocket => {
    const sent: ServerFrame[] = [];
    const topics = new Set<string>();
    const conn: Conn = {
      principal: { userId: bob.id, sessionId: crypto.randomUUID(), username: 'bob', expiresAt: 0 },
      transport: 'websocket',
      rooms: new Set(rooms),
      subscribed: new Set(),
      roomsReadAt,
      closed: false,
      hold: false,
      catchingUp: null,
      limits: null,
      presenceRooms: null,
      batch: false,
    };
    const surface = {
      getUserData: () => conn,
      subscribe: (t: string) => topics.add(t),
      unsubscribe: (t: string) => topics.delete(t),
      send: (data: string) => {
        sent.push(JSON.parse(data) as ServerFrame);
        return 1;
      },
      end: () => undefined,
    };
    const ws = surface as unknown as Socket;
    sessions.add(ws);
    return { ws, conn, topics, sent };
  };
  const room = async () => {
    const id = crypto.randomUUID();
    await db.sql`insert into rooms (id, kind, name) values (${id}, 'private', 'r')`;
    return id;
  };
  const member = (roomId: string) => db.sql`insert into room_members (room_id, user_id) values (${roomId}, ${bob.id})`;
  const event = (roomId: string, change: MembershipChanged['change']): MembershipChanged => ({
    type: 'membership_changed',
    room: roomId,
    change,
    user: bob,
    actor: null,
  });
  const settled = async (before: number) => {
    await eventually('the membership query to finish', () => (queries > before ? true : undefined));
    await new Promise((resolve) => setImmediate(resolve));
  };

  before(async () => {
    r = await createTestRedis();
    db = await createTestDatabase();
    await db.sql`insert into users (id, username, password_hash) values (${bob.id}, 'bob', 'x')`;
    sub = new Redis(r.config.url);
    const keys = redisKeys(r.config.keyPrefix);
    const metrics = createGatewayMetrics(new Registry());
    const bus = new RedisBus(sub, r.redis, keys, testLogger());
    sessions = new SessionIndex();
    const real = pgRoomsOfUsers(db.sql);
    const roomsOfUsers: RoomsOfUsers = async (ids) => {
      const snapshot = await real(ids);
      onSnapshot?.();
      if (gate) await gate;
      queries++;
      return snapshot;
    };
    membership = new LiveMembership({
      subscriptions: new RoomSubscriptions(
        bus,
        { opening: async () => undefined, live: () => undefined, closed: () => undefined },
        testLogger(),
        metrics,
      ),
      sessions,
      sender: new Sender(metrics),
      publishToRoom: () => undefined,
      topics: { join: (ws, room) => ws.subscribe(room), leave: (ws, room) => ws.unsubscribe(room) },
      roomsOfUsers,
      catchUps: new CatchUps(),
      logger: testLogger(),
    });
    control = createControlDispatcher({ membership, broadcast: () => undefined, closeSession: () => undefined });
  });
  after(async () => {
    sub.disconnect();
    await r.cleanup();
    await db.drop();
  });

  test('a join that Postgres confirms subscribes the socket, then tells it', async () => {
    const s = socket([]);
    const id = await room();
    await member(id);
    control(event(id, 'joined'));
    await eventually('the join to take effect', () => (s.topics.has(id) ? true : undefined));
    assert.ok(s.conn.rooms.has(id));
    await eventually('member_joined to reach the joiner', () =>
      s.sent.some((f) => f.type === 'event' && f.event === 'member_joined') ? true : undefined,
    );
  });

  test('a join announcement Postgres does not confirm grants nothing (announced out of order)', async () => {
    const s = socket([]);
    const id = await room();
    const before = queries;
    control(event(id, 'joined'));
    await settled(before);
    assert.equal(s.conn.rooms.has(id), false);
    assert.equal(s.topics.has(id), false);
  });

  test('a kick takes the room away at once, with no query', async () => {
    const id = await room();
    await member(id);
    const s = socket([id]);
    await membership.attach(s.ws);
    assert.ok(s.topics.has(id));
    const before = queries;
    control(event(id, 'kicked'));
    assert.equal(s.conn.rooms.has(id), false, 'publishing is refused immediately');
    assert.equal(s.topics.has(id), false, 'delivery stops immediately');
    assert.equal(queries, before);
  });

  test('changes announced after a socket read its rooms are replayed when it attaches', async () => {
    const [kickedFrom, joinedTo] = [await room(), await room()];
    await member(joinedTo);
    const readAt = Date.now();
    control(event(kickedFrom, 'kicked'));
    control(event(joinedTo, 'joined'));
    // This socket read its rooms before both announcements: it still lists kickedFrom and lacks joinedTo.
    const s = socket([kickedFrom], readAt);
    await membership.attach(s.ws);
    assert.equal(s.conn.rooms.has(kickedFrom), false);
    await eventually('the replayed join to be confirmed', () => (s.topics.has(joinedTo) ? true : undefined));
  });

  test('a resync never undoes a change announced while its snapshot was in flight', async () => {
    const id = await room();
    await member(id);
    const s = socket([id]);
    await membership.attach(s.ws);
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const before = queries;
    const taken = new Promise<void>((resolve) => (onSnapshot = resolve));
    const resync = membership.resync();
    await taken; // the snapshot still lists the room
    onSnapshot = null;
    await db.sql`delete from room_members where room_id = ${id} and user_id = ${bob.id}`;
    control(event(id, 'kicked'));
    gate = null;
    open();
    await resync;
    assert.ok(queries > before);
    assert.equal(s.conn.rooms.has(id), false, 'the stale snapshot gave a kicked user the room back');
    assert.equal(s.topics.has(id), false);
  });

  test('a room used before its join event arrives is confirmed from Postgres and subscribed', async () => {
    const s = socket([]);
    const [joined, other] = [await room(), await room()];
    await member(joined);
    assert.equal(await membership.confirm(s.ws, joined), true);
    assert.ok(s.conn.rooms.has(joined) && s.topics.has(joined));
    assert.equal(await membership.confirm(s.ws, other), false, 'not a member: refused');
    assert.equal(s.conn.rooms.has(other), false);
  });

  test('a kick announced while the confirmation was in flight wins over it', async () => {
    const s = socket([]);
    const id = await room();
    await member(id);
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const taken = new Promise<void>((resolve) => (onSnapshot = resolve));
    const confirming = membership.confirm(s.ws, id);
    await taken; // the snapshot still lists the room
    onSnapshot = null;
    control(event(id, 'kicked'));
    gate = null;
    open();
    assert.equal(await confirming, false);
    assert.equal(s.topics.has(id), false);
  });
});
