/**
 * Message search over real Postgres: matches with marked snippets, ranking,
 * keyset pages, validation, and above all access control — only rooms the
 * caller is a member of now, or (with `room=`) one room the policy lets them
 * read.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Envelope } from '../../shared/broker/envelope.js';
import type { MyRoom, SearchHit, SearchResponse, TokenResponse } from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, type ApiFixture } from '../testing.js';

describe('GET /v1/search/messages', () => {
  let f: ApiFixture;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let carol: TokenResponse;
  const seqs = new Map<string, number>();
  /** Base time of stored messages; each later one is a second newer, so "newest" is unambiguous. */
  let clock = Date.parse('2026-01-01T00:00:00Z');

  /** Stores a message as the worker would (Postgres only: search covers persisted messages). */
  const say = async (who: TokenResponse, room: string, body: string): Promise<number> => {
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    clock += 1000;
    const envelope: Envelope = {
      v: 1, id: randomUUID(), room, seq, uid: who.user.id, un: who.user.username, cmid: randomUUID(), kind: 'text', body, ts: clock,
    };
    assert.equal((await f.store.append([envelope])).inserted, 1);
    return seq;
  };
  const create = async (who: TokenResponse, name: string, visibility: 'public' | 'private'): Promise<string> => {
    const res = await f.call(who, 'POST', '/v1/rooms', { name, visibility });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<MyRoom>().id;
  };
  const ok = async (who: TokenResponse, method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const res = await f.call(who, method, url, payload);
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
  };
  const search = async (who: TokenResponse, params: Record<string, string | number>): Promise<SearchResponse> => {
    const res = await f.call(who, 'GET', `/v1/search/messages?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<SearchResponse>();
  };
  const bodies = (r: SearchResponse) => r.results.map((h) => h.body);

  before(async () => {
    f = await createApiFixture();
    alice = await f.user('alice');
    bob = await f.user('bob');
    carol = await f.user('carol');
  });
  after(async () => {
    await f?.cleanup();
  });

  test('finds messages in my rooms, with the room, the message fields and a marked snippet', async () => {
    const room = await create(alice, 'fruit', 'public');
    await ok(bob, 'POST', `/v1/rooms/${room}/join`);
    await say(bob, room, 'I would like a banana split please');
    await say(alice, room, 'apples only today');
    const res = await search(alice, { q: 'banana' });
    assert.equal(res.results.length, 1);
    const hit = res.results[0]!;
    assert.equal(hit.body, 'I would like a banana split please');
    assert.equal(hit.room, room);
    assert.equal(hit.roomName, 'fruit');
    assert.equal(hit.roomKind, 'public');
    assert.equal(hit.seq, 1);
    assert.deepEqual(hit.from, { id: bob.user.id, username: 'bob' });
    assert.match(hit.snippet, /<mark>banana<\/mark>/);
    assert.match(hit.createdAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal(res.nextCursor, null);
  });

  test('web-search syntax: all words, phrases, exclusions; case-insensitive', async () => {
    const room = await create(alice, 'syntax', 'private');
    await say(alice, room, 'Quokka island trip');
    await say(alice, room, 'island quokka photos');
    await say(alice, room, 'quokka alone');
    assert.deepEqual(bodies(await search(alice, { q: 'QUOKKA island', room })).sort(), ['Quokka island trip', 'island quokka photos']);
    assert.deepEqual(bodies(await search(alice, { q: '"quokka island"', room })), ['Quokka island trip']);
    assert.deepEqual(bodies(await search(alice, { q: 'quokka -island', room })), ['quokka alone']);
    assert.deepEqual(bodies(await search(alice, { q: 'wombat', room })), []);
  });

  test('the best match comes first, then the newest among equals', async () => {
    const room = await create(alice, 'ranking', 'private');
    await say(alice, room, 'mango mango mango');
    await say(alice, room, 'one mango here');
    await say(alice, room, 'another mango there');
    assert.deepEqual(bodies(await search(alice, { q: 'mango' })), ['mango mango mango', 'another mango there', 'one mango here']);
  });

  test('pages are complete and disjoint, in the ranked order, and a cursor stays with its search', async () => {
    const room = await create(alice, 'paging', 'private');
    await say(alice, room, 'papaya papaya papaya');
    for (let i = 0; i < 6; i++) await say(alice, room, `papaya number ${i}`);
    await say(alice, room, 'papaya papaya twice');
    const all = bodies(await search(alice, { q: 'papaya', limit: 50 }));
    assert.equal(all.length, 8);
    assert.deepEqual(all.slice(0, 2), ['papaya papaya papaya', 'papaya papaya twice']);
    assert.deepEqual(all.slice(2), [5, 4, 3, 2, 1, 0].map((i) => `papaya number ${i}`));

    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: SearchResponse = await search(alice, { q: 'papaya', limit: 3, ...(cursor ? { cursor } : {}) });
      paged.push(...bodies(res));
      cursor = res.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(paged, all);

    const first = await search(alice, { q: 'papaya', limit: 3 });
    const other = await f.call(alice, 'GET', `/v1/search/messages?q=mango&cursor=${first.nextCursor}`);
    assertProblem(other, 400, 'bad_request');
    const roomed = await f.call(alice, 'GET', `/v1/search/messages?q=papaya&room=${room}&cursor=${first.nextCursor}`);
    assertProblem(roomed, 400, 'bad_request');
    const forged = Buffer.from(JSON.stringify(['search', 'x', 'NaN', 'y', 'z', '1'])).toString('base64url');
    assertProblem(await f.call(alice, 'GET', `/v1/search/messages?q=papaya&cursor=${forged}`), 400, 'bad_request');
  });

  test('q is required, 1–200 characters, not blank, without control characters; only known parameters', async () => {
    for (const query of ['', 'q=', `q=${'a'.repeat(201)}`, 'q=%20%20', 'q=a%00b', 'q=a&extra=1', 'q=a&limit=0', 'q=a&limit=51', 'q=a&room=nope']) {
      assertProblem(await f.call(alice, 'GET', `/v1/search/messages?${query}`), 400, 'bad_request');
    }
    assert.equal((await f.call(alice, 'GET', `/v1/search/messages?q=${'a'.repeat(200)}`)).statusCode, 200);
    assertProblem(await f.call(null, 'GET', '/v1/search/messages?q=a'), 401, 'unauthorized');
    // Input that holds no words is no error, just no results.
    assert.deepEqual(bodies(await search(alice, { q: '!!! &&' })), []);
  });

  test('a DM is named after the other user', async () => {
    const res = await f.call(alice, 'POST', '/v1/dms', { username: 'bob' });
    const dm = res.json<MyRoom>().id;
    await say(bob, dm, 'secret lychee for you');
    const [hit] = (await search(alice, { q: 'lychee' })).results as [SearchHit];
    assert.equal(hit.roomKind, 'dm');
    assert.equal(hit.roomName, 'bob');
    assert.equal((await search(bob, { q: 'lychee' })).results[0]!.roomName, 'alice');
    assert.deepEqual(bodies(await search(carol, { q: 'lychee' })), []);
    assertProblem(await f.call(carol, 'GET', `/v1/search/messages?q=lychee&room=${dm}`), 404, 'room_not_found');
  });

  describe('access control', () => {
    test('a private room I am not in never shows, with or without room=, exactly like a room that does not exist', async () => {
      const room = await create(alice, 'vault', 'private');
      await say(alice, room, 'the durian code is 1234');
      assert.equal((await search(alice, { q: 'durian' })).results.length, 1);
      assert.deepEqual(bodies(await search(carol, { q: 'durian' })), []);
      assertProblem(await f.call(carol, 'GET', `/v1/search/messages?q=durian&room=${room}`), 404, 'room_not_found');
      assertProblem(await f.call(carol, 'GET', `/v1/search/messages?q=durian&room=${randomUUID()}`), 404, 'room_not_found');
      // An invitation is not membership.
      await ok(alice, 'POST', `/v1/rooms/${room}/invites`, { username: 'carol' });
      assert.deepEqual(bodies(await search(carol, { q: 'durian' })), []);
      assertProblem(await f.call(carol, 'GET', `/v1/search/messages?q=durian&room=${room}`), 404, 'room_not_found');
    });

    test('rooms I left or was kicked from drop out of my search at once', async () => {
      const open = await create(alice, 'open house', 'public');
      const closed = await create(alice, 'closed house', 'private');
      await ok(bob, 'POST', `/v1/rooms/${open}/join`);
      await ok(alice, 'POST', `/v1/rooms/${closed}/invites`, { username: 'bob' });
      await ok(bob, 'POST', `/v1/rooms/${closed}/invites/accept`);
      await say(alice, open, 'cherry in the open');
      await say(alice, closed, 'cherry behind doors');
      assert.equal((await search(bob, { q: 'cherry' })).results.length, 2);

      await ok(bob, 'POST', `/v1/rooms/${open}/leave`);
      assert.deepEqual(bodies(await search(bob, { q: 'cherry' })), ['cherry behind doors']);
      await ok(alice, 'DELETE', `/v1/rooms/${closed}/members/${bob.user.id}`);
      assert.deepEqual(bodies(await search(bob, { q: 'cherry' })), []);
      assertProblem(await f.call(bob, 'GET', `/v1/search/messages?q=cherry&room=${closed}`), 404, 'room_not_found');
      // A public room stays readable as a preview, but only when asked for by id.
      assert.deepEqual(bodies(await search(bob, { q: 'cherry', room: open })), ['cherry in the open']);
    });

    test('room= previews a public room for non-members, but not for banned users', async () => {
      const room = await create(alice, 'plaza', 'public');
      await ok(carol, 'POST', `/v1/rooms/${room}/join`);
      await say(alice, room, 'fig market opens at nine');
      assert.deepEqual(bodies(await search(bob, { q: 'fig', room })), ['fig market opens at nine']);
      assert.deepEqual(bodies(await search(bob, { q: 'fig' })), [], 'without room=, only rooms I am a member of');

      await ok(alice, 'PUT', `/v1/rooms/${room}/bans/${carol.user.id}`, {});
      assertProblem(await f.call(carol, 'GET', `/v1/search/messages?q=fig&room=${room}`), 403, 'banned');
      assert.deepEqual(bodies(await search(carol, { q: 'fig' })), []);
    });

    test('room= keeps to that room', async () => {
      const a = await create(alice, 'left bank', 'private');
      const b = await create(alice, 'right bank', 'private');
      await say(alice, a, 'plum on the left');
      await say(alice, b, 'plum on the right');
      assert.deepEqual(bodies(await search(alice, { q: 'plum', room: a })), ['plum on the left']);
      assert.deepEqual(bodies(await search(alice, { q: 'plum' })), ['plum on the right', 'plum on the left']);
    });
  });
});
