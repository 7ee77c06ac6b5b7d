/**
 * Edits, deletions and reactions through the api, over real Postgres and
 * Redis: who may do what, tombstones and reactions in history, events, and
 * changes to a message that only the Redis log holds yet.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessagePublisher } from '../../shared/ports.js';
import { decodeEnvelope } from '../../shared/broker/envelope.js';
import type { HistoryResponse, TokenResponse } from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, type ApiFixture, type ControlRecorder } from '../testing.js';

describe('message edits, deletions and reactions', () => {
  let f: ApiFixture;
  let control: ControlRecorder;
  let owner: TokenResponse;
  let author: TokenResponse;
  let other: TokenResponse;
  let stranger: TokenResponse;
  let room: string;
  let publisher: MessagePublisher;
  let n = 0;

  /** Publishes as `who`; the message is in the Redis log only until `persist()`. */
  const say = async (who: TokenResponse, body: string) =>
    (await publisher.publish({ room, author: who.user, cmid: `m${++n}`, kind: 'text', body })).seq;
  /** Does what the worker does: copies the room log into Postgres. */
  const persist = async () => {
    const entries = (await f.redis.xrange(f.keys.roomLog(room), '-', '+')) as [string, string[]][];
    await f.store.append(entries.map(([, fields]) => decodeEnvelope(fields[1]!)!));
  };
  const history = async (who: TokenResponse) => {
    const res = await f.call(who, 'GET', `/v1/rooms/${room}/messages`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<HistoryResponse>().messages;
  };
  const at = (messages: HistoryResponse['messages'], seq: number) => messages.find((m) => m.seq === seq)!;
  const path = (seq: number) => `/v1/rooms/${room}/messages/${seq}`;

  before(async () => {
    // A message limit well under the request body limit, so each refusal is reachable.
    f = await createApiFixture({ http: { maxMessageBytes: 100 } });
    [owner, author, other, stranger] = [await f.user('owner'), await f.user('author'), await f.user('other'), await f.user('stranger')];
    const created = await f.call(owner, 'POST', '/v1/rooms', { name: 'talk', visibility: 'private' });
    room = created.json<{ id: string }>().id;
    for (const who of [author, other]) {
      assert.equal((await f.call(owner, 'POST', `/v1/rooms/${room}/invites`, { username: who.user.username })).statusCode, 201);
      assert.equal((await f.call(who, 'POST', `/v1/rooms/${room}/invites/accept`)).statusCode, 200);
    }
    publisher = f.messaging.publisher;
    control = await f.controlEvents();
  });
  after(async () => {
    await f?.cleanup();
  });

  test('the author edits a persisted message: history shows the new text, members get the event', async () => {
    const seq = await say(author, 'helo');
    await persist();
    await control.take();
    const res = await f.call(author, 'PATCH', path(seq), { body: 'hello' });
    assert.equal(res.statusCode, 200, res.body);
    const m = at(await history(other), seq);
    assert.equal(m.body, 'hello');
    assert.ok(m.editedAt);
    const [row] = await f.sql<{ body: string }[]>`select body from messages where room_id = ${room} and seq = ${seq}`;
    assert.equal(row!.body, 'hello', 'Postgres holds the current text (search sees it)');
    const events = await control.take();
    assert.deepEqual(
      events.map((e) => e.type === 'message_changed' && [e.change, e.seq, e.body]),
      [['edited', seq, 'hello']],
    );
  });

  test('an edit of a message not yet persisted shows at once and survives the worker writing the original', async () => {
    const seq = await say(author, 'draft');
    assert.equal((await f.call(author, 'PATCH', path(seq), { body: 'final' })).statusCode, 200);
    assert.equal(at(await history(other), seq).body, 'final');
    await persist();
    const [row] = await f.sql<{ body: string; edited_at: Date | null }[]>`select body, edited_at from messages where room_id = ${room} and seq = ${seq}`;
    assert.equal(row!.body, 'final', 'the trigger applied the pending edit to the inserted row');
    assert.ok(row!.edited_at);
  });

  test('only the author edits; others get 403, non-members 404, unknown seqs 404', async () => {
    const seq = await say(author, 'mine');
    assertProblem(await f.call(other, 'PATCH', path(seq), { body: 'yours?' }), 403, 'forbidden');
    assertProblem(await f.call(owner, 'PATCH', path(seq), { body: 'owner?' }), 403, 'forbidden');
    assertProblem(await f.call(stranger, 'PATCH', path(seq), { body: 'who?' }), 404, 'room_not_found');
    assertProblem(await f.call(author, 'PATCH', path(9999), { body: 'x' }), 404, 'message_not_found');
    assertProblem(await f.call(author, 'PATCH', path(seq), { body: '' }), 400, 'bad_request');
    assertProblem(await f.call(author, 'PATCH', path(seq), { body: 'é'.repeat(51) }), 413, 'message_too_large');
  });

  test('deleting leaves a tombstone; the author and the owner may, another member may not', async () => {
    const [a, b] = [await say(author, 'oops'), await say(other, 'spam')];
    await f.call(other, 'PUT', `${path(a)}/reactions/%F0%9F%91%8D`);
    assertProblem(await f.call(other, 'DELETE', path(a)), 403, 'forbidden');
    assert.equal((await f.call(author, 'DELETE', path(a))).statusCode, 204);
    assert.equal((await f.call(owner, 'DELETE', path(b))).statusCode, 204);
    await persist();
    const messages = await history(author);
    for (const seq of [a, b]) {
      const m = at(messages, seq);
      assert.deepEqual({ body: m.body, deleted: m.deleted, reactions: m.reactions }, { body: '', deleted: true, reactions: undefined });
    }
    assertProblem(await f.call(author, 'PATCH', path(a), { body: 'undo' }), 404, 'message_not_found');
    assertProblem(await f.call(author, 'DELETE', path(a)), 404, 'message_not_found');
  });

  test('reactions: counts and who reacted in history, idempotent, with events; non-members cannot react', async () => {
    const seq = await say(author, 'react to me');
    await control.take();
    const thumbs = encodeURIComponent('👍');
    for (const who of [other, owner, other]) assert.equal((await f.call(who, 'PUT', `${path(seq)}/reactions/${thumbs}`)).statusCode, 204);
    assert.equal((await f.call(author, 'PUT', `${path(seq)}/reactions/${encodeURIComponent('🎉')}`)).statusCode, 204);
    assertProblem(await f.call(stranger, 'PUT', `${path(seq)}/reactions/${thumbs}`), 404, 'room_not_found');
    assertProblem(await f.call(other, 'PUT', `${path(seq)}/reactions/has%20space`), 400, 'bad_request');
    let m = at(await history(author), seq);
    assert.deepEqual(
      m.reactions?.map((r) => [r.emoji, r.count, r.users.map((u) => u.username)]),
      [
        ['👍', 2, ['other', 'owner']],
        ['🎉', 1, ['author']],
      ],
    );
    assert.equal((await f.call(other, 'DELETE', `${path(seq)}/reactions/${thumbs}`)).statusCode, 204);
    assert.equal((await f.call(other, 'DELETE', `${path(seq)}/reactions/${thumbs}`)).statusCode, 204);
    m = at(await history(author), seq);
    assert.deepEqual(m.reactions?.map((r) => [r.emoji, r.count]), [
      ['👍', 1],
      ['🎉', 1],
    ]);
    const changes = (await control.take()).flatMap((e) => (e.type === 'message_changed' ? [`${e.change}:${e.emoji}:${e.user.username}`] : []));
    assert.deepEqual(changes, ['reaction_added:👍:other', 'reaction_added:👍:owner', 'reaction_added:🎉:author', 'reaction_removed:👍:other']);
  });
});
