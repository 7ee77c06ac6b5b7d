/**
 * The SDK's messaging against real gateways, api and worker: publish and
 * ack, order without duplicates, local checks, history pages, edits and
 * reactions, gap fills from history (a hole the server never names, and a
 * resume past the room log), and the last test: a gateway killed under load,
 * where pending publishes are resent elsewhere (each stored once) and a
 * reader reconnects and resumes with nothing lost.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyClient, ParleyRequestError, type ParleyClientOptions, type PublishAck } from '../client/src/node.js';
import type { TokenResponse } from '../shared/http/schemas.js';
import { eventually } from '../testkit/processes.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { Recorder, range, sessionOf } from './sdk-recorder.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('client SDK: messaging', () => {
  let c: Cluster;
  let aliceTokens: TokenResponse;
  let bobTokens: TokenResponse;
  const clients: ParleyClient[] = [];
  const sdk = (tokens: TokenResponse, options: ParleyClientOptions = {}) => {
    const made = new ParleyClient({ apiUrl: c.apiUrl, wsUrl: c.gatewayUrls[0]!, session: sessionOf(tokens), ...options });
    clients.push(made);
    return made;
  };
  let alice: ParleyClient;
  const room = (name: string) => c.publicRoom(name, aliceTokens, [bobTokens]);

  before(async () => {
    // A tiny room log (Redis trims approximately, in nodes of about 100 entries) makes a resume past it easy.
    c = await startCluster({ gateways: 2, env: { ROOM_LOG_MAXLEN: '10' } });
    aliceTokens = await c.user('alice');
    bobTokens = await c.user('bob');
    alice = sdk(aliceTokens);
    await alice.connect();
  });
  after(async () => {
    for (const made of clients) made.disconnect();
    await c?.stop();
  });

  test('publish resolves with the ack for a generated cmid; every member gets each message once, in order', async () => {
    const r = await room('sdk-order');
    const bob = new Recorder(sdk(bobTokens, { wsUrl: c.gatewayUrls[1]! }));
    await bob.client.connect();
    const mine = new Recorder(alice);
    const acks = await Promise.all(range(1, 60).map((i) => alice.publish(r, `message ${i}`)));
    for (const ack of acks) {
      assert.match(ack.cmid, UUID);
      assert.equal(ack.room, r);
      assert.equal(ack.duplicate, false);
    }
    assert.deepEqual(acks.map((a) => a.seq).sort((a, b) => a - b), range(1, 60));
    await eventually('both to have 60', () => (bob.seqs(r).length === 60 && mine.seqs(r).length === 60 ? true : undefined));
    assert.deepEqual(bob.seqs(r), range(1, 60));
    assert.deepEqual(mine.seqs(r), range(1, 60));
    assert.deepEqual(bob.delivered.get(r)!.map((m) => m.id), mine.delivered.get(r)!.map((m) => m.id));
    assert.equal(bob.client.lastSeq(r), 60);

    // The same cmid again: the original ack, marked duplicate, and no second message.
    const again = await alice.publish(r, 'ignored body', { cmid: acks[0]!.cmid });
    assert.deepEqual({ ...again, duplicate: false }, acks[0]);
    assert.equal(again.duplicate, true);
    const fence = await alice.publish(r, 'fence');
    await eventually('the fence', () => (bob.client.lastSeq(r) === fence.seq ? true : undefined));
    assert.deepEqual(bob.seqs(r), range(1, 61));
    bob.client.disconnect();
    assert.equal(bob.client.state, 'closed');
  });

  test('publish checks locally what the server would refuse, and rejects with the catalogue code', async () => {
    const r = await room('sdk-checks');
    await assert.rejects(alice.publish(r, 'x'.repeat(4097)), { code: 'message_too_large', status: null, retryable: false });
    await assert.rejects(alice.publish(r, 'é'.repeat(2049)), { code: 'message_too_large' }, 'UTF-8 bytes, not characters');
    await assert.rejects(alice.publish('not-a-room', 'hi'), { code: 'bad_frame' });
    await assert.rejects(alice.publish(r, ''), { code: 'bad_frame' });
    await assert.rejects(alice.publish(r, 'hi', { cmid: 'spaces are not allowed' }), { code: 'bad_frame' });
    // The server's refusals: a room alice is not in.
    const other = await c.post<{ id: string }>('/v1/rooms', { name: 'sdk-private', visibility: 'private' }, bobTokens.accessToken);
    await assert.rejects(alice.publish(other.body.id, 'hi'), (err: unknown) => err instanceof ParleyRequestError && err.code === 'room_not_found');
  });

  test('history pages newest first; edits, deletions and reactions arrive as events and show in history', async () => {
    const r = await room('sdk-history');
    const bob = new Recorder(sdk(bobTokens));
    await bob.client.connect();
    for (let i = 1; i <= 7; i++) await alice.publish(r, `m${i}`);
    const first = await bob.client.history(r, { limit: 3 });
    assert.deepEqual(first.messages.map((m) => m.seq), [7, 6, 5]);
    const second = await bob.client.history(r, { limit: 3, before: first.nextBefore! });
    assert.deepEqual(second.messages.map((m) => m.seq), [4, 3, 2]);
    const last = await bob.client.history(r, { limit: 3, before: second.nextBefore! });
    assert.deepEqual([last.messages.map((m) => m.seq), last.nextBefore, last.gaps], [[1], null, []]);

    await alice.edit(r, 2, 'edited');
    await bob.client.react(r, 2, '👍');
    await alice.react(r, 2, '👍');
    await bob.client.unreact(r, 2, '👍');
    await alice.remove(r, 3);
    await assert.rejects(bob.client.edit(r, 1, 'not mine'), { code: 'forbidden', status: 403 });
    await assert.rejects(alice.edit(r, 3, 'deleted'), { code: 'message_not_found', status: 404 });
    await eventually('the five events', () => (bob.events.filter((e) => e.room === r).length === 5 ? true : undefined));
    assert.deepEqual(
      bob.events.filter((e) => e.room === r).map((e) => [e.event, e.seq, e.body ?? e.emoji ?? null]),
      [
        ['message_edited', 2, 'edited'],
        ['reaction_added', 2, '👍'],
        ['reaction_added', 2, '👍'],
        ['reaction_removed', 2, '👍'],
        ['message_deleted', 3, null],
      ],
    );
    const page = await alice.history(r, { before: 4 });
    const [m3, m2] = page.messages;
    assert.equal(m3!.deleted, true);
    assert.equal(m2!.body, 'edited');
    assert.ok(m2!.editedAt);
    assert.deepEqual(m2!.reactions!.map((x) => [x.emoji, x.count, x.users.map((u) => u.username)]), [['👍', 1, ['alice']]]);
    assert.deepEqual(await bob.client.markRead(r, 5), { room: r, seq: 5 });
    assert.equal((await bob.client.myRooms()).rooms.find((x) => x.id === r)!.unread, 2);
    bob.client.disconnect();
  });

  test('a hole the server never names is read from history after gapWaitMs (no resume); setLastSeq places a room', async () => {
    const r = await room('sdk-hole');
    for (let i = 1; i <= 5; i++) await alice.publish(r, `before ${i}`);
    const bob = new Recorder(sdk(bobTokens, { resume: false, gapWaitMs: 200 }));
    bob.client.setLastSeq(r, 0);
    assert.equal(bob.client.lastSeq(r), 0);
    await bob.client.connect();
    await alice.publish(r, 'live');
    await eventually('bob to have 1..6', () => (bob.client.lastSeq(r) === 6 ? true : undefined));
    assert.deepEqual(bob.seqs(r), range(1, 6));
    assert.deepEqual(bob.reads.map((x) => [x.range, x.why]), [[{ from: 1, to: 5 }, 'timer']]);

    // Placed at 6 while a new one comes: nothing before it is delivered again.
    const carol = new Recorder(sdk(bobTokens));
    carol.client.setLastSeq(r, 6);
    await carol.client.connect();
    await alice.publish(r, 'next');
    await eventually('carol to have 7', () => (carol.client.lastSeq(r) === 7 ? true : undefined));
    assert.deepEqual(carol.seqs(r), [7]);
    bob.client.disconnect();
    carol.client.disconnect();
  });

  test('a resume past the room log is answered recovered: false, and the SDK fills it from history', async () => {
    const r = await room('sdk-resume-window');
    const bob = new Recorder(sdk(bobTokens));
    await bob.client.connect();
    await alice.publish(r, 'first');
    await eventually('bob to have 1', () => (bob.client.lastSeq(r) === 1 ? true : undefined));
    bob.client.disconnect();
    const sent: Promise<PublishAck>[] = [];
    for (let i = 2; i <= 350; i++) sent.push(alice.publish(r, `while away ${i}`));
    await Promise.all(sent);
    await bob.client.connect();
    await eventually('bob to have 1..350', () => (bob.client.lastSeq(r) === 350 ? true : undefined));
    assert.deepEqual(bob.seqs(r), range(1, 350));
    const resumed = bob.frames.find((f) => f.type === 'resumed' && f.room === r);
    assert.ok(resumed?.type === 'resumed' && !resumed.recovered, JSON.stringify(resumed));
    assert.deepEqual(bob.reads.map((x) => [x.range.from, x.why]), [[2, 'resumed']]);
    assert.deepEqual(bob.skipped.get(r) ?? [], []);
    bob.client.disconnect();
  });

  test('a gateway killed under load: pending publishes are resent to another (each stored once), the reader reconnects and resumes losing nothing', async () => {
    const r = await room('sdk-kill');
    let target = 1;
    const wsUrl = () => c.gatewayUrls[target]!;
    const writer = sdk(aliceTokens, { wsUrl, reconnect: { initialDelayMs: 50 } });
    const reader = new Recorder(sdk(bobTokens, { wsUrl, reconnect: { initialDelayMs: 50 } }));
    await writer.connect();
    await reader.client.connect();
    const acks: Promise<PublishAck>[] = [];
    for (let i = 1; i <= 200; i++) acks.push(writer.publish(r, `burst ${i}`));
    await eventually('part of the burst to arrive', () => ((reader.client.lastSeq(r) ?? 0) >= 20 ? true : undefined));
    // Frozen, the gateway takes more publishes into its socket buffers and never answers them.
    c.gateways[1]!.child.kill('SIGSTOP');
    for (let i = 201; i <= 250; i++) acks.push(writer.publish(r, `frozen ${i}`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    target = 0;
    await c.gateways[1]!.kill('SIGKILL');

    const done = await Promise.all(acks);
    assert.equal(new Set(done.map((a) => a.cmid)).size, 250);
    assert.deepEqual(done.map((a) => a.seq).sort((a, b) => a - b), range(1, 250), 'one seq per message, none twice');
    await eventually('the worker to store all 250', async () => {
      const [row] = await c.db.sql<{ n: number; cmids: number }[]>`
        select count(*)::int as n, count(distinct cmid)::int as cmids from messages where room_id = ${r}`;
      return row!.n === 250 ? row : undefined;
    });
    const [row] = await c.db.sql<{ n: number; cmids: number }[]>`select count(*)::int as n, count(distinct cmid)::int as cmids from messages where room_id = ${r}`;
    assert.deepEqual(row, { n: 250, cmids: 250 }, 'exactly one stored copy of each');

    await eventually('the reader to have all 250', () => (reader.client.lastSeq(r) === 250 ? true : undefined));
    assert.deepEqual(reader.seqs(r), range(1, 250));
    const states = reader.states.map(([s, info]) => (s === 'reconnecting' ? `${s}:${info.attempt}:${info.code}` : s));
    assert.deepEqual(states.slice(0, 3), ['connecting', 'open', 'reconnecting:1:1006']);
    assert.equal(states.at(-1), 'open');
    assert.equal(reader.client.state, 'open');
    assert.ok(reader.frames.some((f) => f.type === 'resumed' && f.room === r), 'it resumed the room on the other gateway');
  });
});
