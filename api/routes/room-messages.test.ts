/**
 * GET /v1/rooms/{id}/messages over real Postgres and Redis: keyset paging
 * newest first, read-your-writes (an acked message is served from the room log
 * until the worker persists it), who may read (members; anyone not banned
 * previews a public room), and query validation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decodeEnvelope, envelopeToMessage, type Envelope } from '../../shared/broker/envelope.js';
import { GLOBAL_ROOM_ID, type HistoryResponse, type Problem, type TokenResponse } from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, type ApiFixture } from '../testing.js';

/** A fixed, whole-second origin: Postgres keeps microseconds, so ms round-trip exactly. */
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

describe('GET /v1/rooms/:id/messages', () => {
  let f: ApiFixture;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let privateRoom: string;
  /** What was appended to the global room, in seq order. */
  const globalHistory: Envelope[] = [];

  const envelope = (room: string, seq: number, author: { id: string; username: string }): Envelope => ({
    v: 1,
    id: randomUUID(),
    room,
    seq,
    uid: author.id,
    un: author.username,
    cmid: `c-${room.slice(0, 8)}-${seq}`,
    kind: 'text',
    body: `message ${seq} in ${room}`,
    ts: T0 + seq * 1000,
  });

  const history = (room: string, query = '', token: string | null = alice.accessToken) =>
    f.app.inject({
      method: 'GET',
      url: `/v1/rooms/${room}/messages${query}`,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  const page = async (room: string, query: string): Promise<HistoryResponse> => {
    const res = await history(room, query);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<HistoryResponse>();
  };

  before(async () => {
    f = await createApiFixture();
    await f.register('alice');
    await f.register('bob');
    alice = await f.login('alice');
    bob = await f.login('bob');

    for (let seq = 1; seq <= 7; seq++) {
      globalHistory.push(envelope(GLOBAL_ROOM_ID, seq, seq % 2 ? alice.user : bob.user));
    }
    const [room] = await f.sql<{ id: string }[]>`
      insert into rooms (kind, name, created_by) values ('private', 'bob only', ${bob.user.id}) returning id
    `;
    privateRoom = room!.id;
    await f.sql`insert into room_members (room_id, user_id, role) values (${privateRoom}, ${bob.user.id}, 'owner')`;
    const result = await f.store.append([
      ...globalHistory,
      envelope(privateRoom, 1, bob.user),
      envelope(privateRoom, 2, bob.user),
    ]);
    assert.equal(result.inserted, 9);
  });
  after(async () => {
    await f?.cleanup();
  });

  test('the default page is the whole short history, newest first, as the messages were accepted', async () => {
    const body = await page(GLOBAL_ROOM_ID, '');
    assert.deepEqual(body, { messages: globalHistory.map(envelopeToMessage).reverse(), nextBefore: null, gaps: [] });
  });

  test('pages newest first with limit and before until nextBefore is null', async () => {
    const first = await page(GLOBAL_ROOM_ID, '?limit=3');
    assert.deepEqual(first.messages.map((m) => m.seq), [7, 6, 5]);
    assert.equal(first.nextBefore, 5);

    const second = await page(GLOBAL_ROOM_ID, `?limit=3&before=${first.nextBefore}`);
    assert.deepEqual(second.messages.map((m) => m.seq), [4, 3, 2]);
    assert.equal(second.nextBefore, 2);

    const last = await page(GLOBAL_ROOM_ID, `?limit=3&before=${second.nextBefore}`);
    assert.deepEqual(last.messages.map((m) => m.seq), [1]);
    assert.equal(last.nextBefore, null);
  });

  test('a page that ends exactly at the oldest message has nextBefore null', async () => {
    const all = await page(GLOBAL_ROOM_ID, '?limit=7');
    assert.equal(all.messages.length, 7);
    assert.equal(all.nextBefore, null);
    const tail = await page(GLOBAL_ROOM_ID, '?limit=4&before=5');
    assert.deepEqual(tail.messages.map((m) => m.seq), [4, 3, 2, 1]);
    assert.equal(tail.nextBefore, null);
  });

  test('before is exclusive, and before beyond the newest seq is the newest page', async () => {
    assert.deepEqual((await page(GLOBAL_ROOM_ID, '?limit=2&before=7')).messages.map((m) => m.seq), [6, 5]);
    assert.deepEqual((await page(GLOBAL_ROOM_ID, '?limit=2&before=1000')).messages.map((m) => m.seq), [7, 6]);
    assert.deepEqual(await page(GLOBAL_ROOM_ID, '?before=1'), { messages: [], nextBefore: null, gaps: [] });
  });

  test('limit bounds 1 and 100 are accepted', async () => {
    const one = await page(GLOBAL_ROOM_ID, '?limit=1');
    assert.deepEqual(one.messages.map((m) => m.seq), [7]);
    assert.equal(one.nextBefore, 7);
    assert.equal((await page(GLOBAL_ROOM_ID, '?limit=100')).messages.length, 7);
  });

  test('only the requested room\'s messages are returned', async () => {
    const mine = await page(GLOBAL_ROOM_ID, '');
    assert.ok(mine.messages.every((m) => m.room === GLOBAL_ROOM_ID));
    const res = await history(privateRoom, '', bob.accessToken);
    assert.equal(res.statusCode, 200, res.body);
    const theirs = res.json<HistoryResponse>();
    assert.deepEqual(theirs.messages.map((m) => [m.room, m.seq]), [[privateRoom, 2], [privateRoom, 1]]);
  });

  test('a message whose author was deleted keeps its author name', async () => {
    await f.register('mallory');
    const mallory = await f.login('mallory');
    const [room] = await f.sql<{ id: string }[]>`insert into rooms (kind, name) values ('public', 'lobby') returning id`;
    const roomId = room!.id;
    await f.sql`insert into room_members (room_id, user_id) values (${roomId}, ${alice.user.id})`;
    await f.store.append([envelope(roomId, 1, mallory.user)]);
    await f.sql`delete from users where id = ${mallory.user.id}`;

    const body = (await history(roomId)).json<HistoryResponse>();
    assert.equal(body.messages.length, 1);
    assert.equal(body.messages[0]!.from.username, 'mallory');
    assert.notEqual(body.messages[0]!.from.id, mallory.user.id);
  });

  test('a room the caller is not a member of is 404 room_not_found, exactly like a room that does not exist', async () => {
    const hidden = assertProblem(await history(privateRoom), 404, 'room_not_found');
    const missing = assertProblem(await history(randomUUID()), 404, 'room_not_found');
    const strip = ({ instance: _instance, ...rest }: Problem) => rest;
    assert.deepEqual(strip(hidden), strip(missing), 'the answer must not reveal which room ids exist');
    // Paging parameters must not change the answer either.
    assertProblem(await history(privateRoom, '?limit=1&before=2'), 404, 'room_not_found');
  });

  test('anyone not banned previews a public room\'s history; a banned user gets 403 banned', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/v1/rooms',
      headers: { authorization: `Bearer ${bob.accessToken}` },
      payload: { name: 'preview', visibility: 'public' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const roomId = created.json<{ id: string }>().id;
    await f.store.append([envelope(roomId, 1, bob.user), envelope(roomId, 2, bob.user)]);

    const preview = await history(roomId);
    assert.equal(preview.statusCode, 200, preview.body);
    assert.deepEqual(preview.json<HistoryResponse>().messages.map((m) => m.seq), [2, 1]);

    const ban = await f.app.inject({
      method: 'PUT',
      url: `/v1/rooms/${roomId}/bans/${alice.user.id}`,
      headers: { authorization: `Bearer ${bob.accessToken}` },
    });
    assert.equal(ban.statusCode, 204, ban.body);
    assertProblem(await history(roomId), 403, 'banned');

    // Made private, it is invisible to non-members again.
    await f.register('trent');
    const trent = await f.login('trent');
    assert.equal((await history(roomId, '', trent.accessToken)).statusCode, 200);
    const patch = await f.app.inject({
      method: 'PATCH',
      url: `/v1/rooms/${roomId}`,
      headers: { authorization: `Bearer ${bob.accessToken}` },
      payload: { visibility: 'private' },
    });
    assert.equal(patch.statusCode, 200, patch.body);
    assertProblem(await history(roomId, '', trent.accessToken), 404, 'room_not_found');
  });

  test('an acked message is in history before the worker persisted it, and once after', async () => {
    const created = await f.call(bob, 'POST', '/v1/rooms', { name: 'read your writes', visibility: 'private' });
    assert.equal(created.statusCode, 201, created.body);
    const roomId = created.json<{ id: string }>().id;
    const publisher = f.messaging.publisher;
    const accepted = await publisher.publish({ room: roomId, author: bob.user, cmid: 'ryw-1', kind: 'text', body: 'just acked' });

    const read = async () => {
      const res = await history(roomId, '', bob.accessToken);
      assert.equal(res.statusCode, 200, res.body);
      return res.json<HistoryResponse>();
    };
    const before = await read();
    assert.deepEqual(before.messages.map((m) => [m.id, m.seq, m.body]), [[accepted.id, 1, 'just acked']]);
    assert.equal(before.nextBefore, null);

    // The worker's part: the same envelope, from the persistence stream, into Postgres.
    const queued = await f.redis.xrange(f.keys.persistStreamOfRoom(roomId), '-', '+');
    const mine = queued.map(([, fields]) => decodeEnvelope(fields[1]!)).filter((e) => e?.room === roomId);
    assert.equal((await f.store.append(mine.map((e) => e!))).inserted, 1);
    assert.deepEqual(await read(), before);
  });

  test('after Redis lost its data, the skipped seqs are listed as gaps, and the page goes on past them', async () => {
    const created = await f.call(bob, 'POST', '/v1/rooms', { name: 'lost and found', visibility: 'private' });
    const roomId = created.json<{ id: string }>().id;
    const publish = (cmid: string) => f.messaging.publisher.publish({ room: roomId, author: bob.user, cmid, kind: 'text', body: cmid });
    await publish('kept');
    const queued = await f.redis.xrange(f.keys.persistStreamOfRoom(roomId), '-', '+');
    await f.store.append(queued.map(([, fields]) => decodeEnvelope(fields[1]!)!).filter((e) => e.room === roomId));
    await publish('lost');
    // Everything under this fixture's key prefix is gone, as after a Redis restart without persistence.
    await f.testRedis.wipe();
    const after = await publish('after');
    const margin = 1_000_000; // the fixture's PERSIST_MAX_BACKLOG
    assert.equal(after.seq, 1 + margin + 1);
    const res = await history(roomId, '', bob.accessToken);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<HistoryResponse>();
    assert.deepEqual(body.messages.map((m) => [m.seq, m.body]), [[after.seq, 'after'], [1, 'kept']]);
    assert.deepEqual(body.gaps, [{ from: 2, to: 1 + margin }], "'lost' (seq 2) is inside the reported gap");
    const newest = await history(roomId, '?limit=1', bob.accessToken);
    assert.deepEqual(newest.json<HistoryResponse>().gaps, [], 'a full page does not report the gap below it');
  });

  test('an id that is not a uuid is 400 bad_request', async () => {
    for (const id of ['not-a-uuid', '123', `${GLOBAL_ROOM_ID}x`]) {
      const body = assertProblem(await history(id), 400, 'bad_request');
      assert.ok(body.errors && body.errors.length > 0);
    }
  });

  for (const query of ['?limit=0', '?limit=101', '?limit=1.5', '?limit=ten', '?limit=', '?before=0', '?before=-3', '?before=x', '?page=2']) {
    test(`${query} is 400 bad_request listing what is wrong`, async () => {
      const body = assertProblem(await history(GLOBAL_ROOM_ID, query), 400, 'bad_request');
      assert.ok(Array.isArray(body.errors) && body.errors.length > 0, JSON.stringify(body));
      for (const e of body.errors) {
        assert.match(e.path, /^\/(querystring|params)(\/|$)/, 'paths are JSON Pointers into the request');
        assert.equal(typeof e.message, 'string');
      }
    });
  }

  test('without a token it is 401 unauthorized', async () => {
    assertProblem(await history(GLOBAL_ROOM_ID, '', null), 401, 'unauthorized');
    // Authentication runs before validation: an anonymous caller learns nothing about the schema.
    assertProblem(await history('not-a-uuid', '?limit=0', null), 401, 'unauthorized');
    assertProblem(await history(GLOBAL_ROOM_ID, '', 'not.a.token'), 401, 'unauthorized');
  });

  test('after logout the same token is 401 session_revoked', async () => {
    const tokens = await f.login('alice');
    assert.equal((await history(GLOBAL_ROOM_ID, '', tokens.accessToken)).statusCode, 200);
    const out = await f.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { authorization: `Bearer ${tokens.accessToken}` } });
    assert.equal(out.statusCode, 204);
    assertProblem(await history(GLOBAL_ROOM_ID, '', tokens.accessToken), 401, 'session_revoked');
  });
});

describe('GET /v1/rooms/:id/messages under a locked messages table', () => {
  let f: ApiFixture;
  before(async () => {
    f = await createApiFixture({ statementTimeoutMs: 300 });
  });
  after(async () => {
    await f?.cleanup();
  });

  test('answers 503 unavailable with Retry-After once DATABASE_STATEMENT_TIMEOUT_MS passes, instead of hanging', async () => {
    const alice = await f.user('alice');
    const blocker = await f.sql.reserve();
    try {
      await blocker`begin`;
      await blocker`lock table messages in access exclusive mode`;
      const started = Date.now();
      const res = await f.call(alice, 'GET', `/v1/rooms/${GLOBAL_ROOM_ID}/messages`);
      assertProblem(res, 503, 'unavailable');
      assert.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After is set');
      assert.ok(Date.now() - started < 5_000, 'bounded by the statement timeout, not by the lock');
    } finally {
      await blocker`rollback`;
      blocker.release();
    }
    assert.equal((await f.call(alice, 'GET', `/v1/rooms/${GLOBAL_ROOM_ID}/messages`)).statusCode, 200);
  });
});
