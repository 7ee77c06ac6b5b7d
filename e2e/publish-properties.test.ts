/**
 * The publish guarantees of docs/protocol.md ("Delivery guarantees") and
 * shared/ports.ts (MessagePublisher), checked as properties under concurrency
 * with real api, gateway and worker processes over real Redis and Postgres:
 *
 * - order: the acked seqs of a room are exactly 1..N; an ack received before
 *   another publish was sent has the smaller seq; every member socket on every
 *   gateway receives every message exactly once, in seq order; Postgres ends
 *   up with each message exactly once, under the acked id;
 * - idempotent retries: a second publish with the same cmid (same socket or
 *   another socket of the same user on another gateway, after the first ack
 *   or racing it) is acked with the original id, seq and createdAt and
 *   `duplicate: true`, and nothing is numbered, delivered or stored twice.
 *
 * Interleavings (pipelining depth, retry kind, which copy goes first, pauses)
 * are drawn from a seeded PRNG, logged in the suite name, so a failure can be
 * replayed with PUBLISH_PROPERTIES_SEED=<seed>. Event-loop scheduling is not
 * deterministic, so a replay explores the same plan, not the same timing.
 *
 * "Exactly once" is proven with a fence, never a timeout: each gateway writes
 * a room's messages to its sockets in the order Redis published them, so once
 * a socket has the fence (published after every other ack), any copy of an
 * earlier message it would ever get has already arrived.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParleySocket } from '../shared/client/socket.js';
import type { ServerFrameOf } from '../shared/protocol/frames.js';
import type { MyRoom, TokenResponse } from '../shared/http/schemas.js';
import { eventually } from '../testkit/processes.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

const SEED = Number(process.env.PUBLISH_PROPERTIES_SEED ?? 0x5eed1e55) >>> 0;
const GATEWAYS = 3;
const PUBLISHERS = 6;
const LISTENERS = 3;
const ORDER_MESSAGES_EACH = 50;
const RETRY_MESSAGES_EACH = 30;
/** Bounds on waiting only (2-core CI machines can be slow); no assertion is about time. */
const REPLY_WAIT_MS = 30_000;
const PERSIST_WAIT_MS = 45_000;

type Ack = ServerFrameOf<'ack'>;
type Message = ServerFrameOf<'message'>;

/** mulberry32: tiny, seedable, good enough to pick interleavings. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    /** Integer in [lo, hi]. */
    int: (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p: number): boolean => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

/**
 * A logical clock over the test's own observations. An ack is stamped after
 * it arrived and a publish before it is sent, so `ackedAt < sentAt` proves the
 * first message was accepted before the second was even sent.
 */
let clock = 0;
const tick = (): number => ++clock;

interface Sent {
  ack: Ack;
  sentAt: number;
  ackedAt: number;
}

let refs = 0;
/** Sends one publish and waits for its reply, which must be an ack. */
async function publish(ws: ParleySocket, room: string, cmid: string, body: string): Promise<Sent> {
  const ref = `r${++refs}`;
  const sentAt = tick();
  ws.send({ type: 'publish', ref, room, cmid, body });
  const reply = await ws.reply(ref, REPLY_WAIT_MS);
  const ackedAt = tick();
  if (reply.type !== 'ack') assert.fail(`publish ${cmid} was answered with ${JSON.stringify(reply)}`);
  assert.equal(reply.cmid, cmid);
  assert.equal(reply.room, room);
  return { ack: reply, sentAt, ackedAt };
}

/** Lets other sockets' work run for a few event-loop turns, to vary interleavings. */
async function pause(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Runs `job(0..count-1)` on `width` lanes, each starting the next index as soon as its previous one finished. */
async function pipelined<T>(count: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const head = (items: readonly string[]): string => (items.length > 10 ? `${items.slice(0, 10).join(', ')} … (${items.length})` : items.join(', '));

/** How `seqs` differs from exactly 1..n, each once, in increasing order; null when it does not. */
function seqProblems(seqs: readonly number[], n: number): string | null {
  const counts = new Map<number, number>();
  for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
  const problems: string[] = [];
  const missing = range(n).filter((s) => !counts.has(s));
  const repeated = [...counts].filter(([, k]) => k > 1).map(([s, k]) => `${s}×${k}`);
  const foreign = [...counts.keys()].filter((s) => s < 1 || s > n);
  const inversions = seqs.flatMap((s, i) => (i > 0 && s <= seqs[i - 1]! ? [`${seqs[i - 1]}→${s} at #${i}`] : []));
  if (missing.length) problems.push(`missing ${head(missing.map(String))}`);
  if (repeated.length) problems.push(`repeated ${head(repeated)}`);
  if (foreign.length) problems.push(`outside 1..${n}: ${head(foreign.map(String))}`);
  if (inversions.length) problems.push(`not increasing: ${head(inversions)}`);
  return problems.length ? problems.join('; ') : null;
}

/**
 * Causality: if one message's ack had arrived before another was sent, the
 * server accepted them in that order, so the later one has the larger seq
 * (ports.ts: "a later resolution in the same room never has a smaller seq").
 */
function causalityViolations(ops: readonly { seq: number; sentAt: number; ackedAt: number }[]): string[] {
  const byAck = [...ops].sort((x, y) => x.ackedAt - y.ackedAt);
  const violations: string[] = [];
  for (const b of ops) {
    for (const a of byAck) {
      if (a.ackedAt >= b.sentAt) break;
      if (a.seq >= b.seq) violations.push(`seq ${a.seq} acked before seq ${b.seq} was sent`);
    }
  }
  return violations;
}

function roomMessages(ws: ParleySocket, room: string): Message[] {
  return ws.frames.filter((f): f is Message => f.type === 'message' && f.room === room);
}

interface Expected {
  seq: number;
  id: string;
  cmid: string;
  body: string;
  from: string;
}

/**
 * Publishes a fence after everything else was acked and waits for it on every
 * socket; then each socket must hold exactly `expected` (plus the fence), in
 * seq order, with the acked ids, the original bodies and the right authors.
 * Resolves with the fence's id.
 */
async function assertDeliveredExactlyOnce(
  sockets: readonly { name: string; ws: ParleySocket }[],
  fenceFrom: ParleySocket,
  room: string,
  expected: readonly Expected[],
): Promise<string> {
  const fence = await publish(fenceFrom, room, 'fence', 'fence');
  assert.equal(fence.ack.duplicate, false);
  assert.equal(fence.ack.seq, expected.length + 1, 'the fence takes the next seq');
  await Promise.all(sockets.map(({ ws }) => ws.next('message', (m) => m.id === fence.ack.id, REPLY_WAIT_MS)));
  const bySeq = new Map(expected.map((e) => [e.seq, e]));
  for (const { name, ws } of sockets) {
    assert.deepEqual(ws.frames.filter((f) => f.type === 'error'), [], `${name} got no error frames`);
    const got = roomMessages(ws, room);
    assert.equal(seqProblems(got.map((m) => m.seq), expected.length + 1), null, `${name} received the room's messages wrongly`);
    for (const m of got.slice(0, -1)) {
      const e = bySeq.get(m.seq)!;
      assert.deepEqual({ seq: m.seq, id: m.id, cmid: m.cmid, body: m.body, from: m.from.id }, e, `${name}, seq ${m.seq}`);
    }
  }
  return fence.ack.id;
}

/** Waits until the worker has written `total` rows for the room, then checks they are exactly the acked messages. */
async function assertPersistedExactlyOnce(c: Cluster, room: string, expected: readonly Expected[], fenceId: string): Promise<void> {
  const total = expected.length + 1;
  const summary = await eventually(
    `the worker to persist ${total} messages`,
    async () => {
      const [row] = await c.db.sql<{ n: number; seqs: number; min: number | null; max: number | null }[]>`
        select count(*)::int as n, count(distinct seq)::int as seqs, min(seq)::int as min, max(seq)::int as max
        from messages where room_id = ${room}`;
      return row && row.n >= total ? { n: row.n, seqs: row.seqs, min: row.min, max: row.max } : undefined;
    },
    PERSIST_WAIT_MS,
  );
  assert.deepEqual(summary, { n: total, seqs: total, min: 1, max: total }, 'Postgres holds each message exactly once');
  const rows = await c.db.sql<{ seq: number; id: string; cmid: string; body: string; author: string }[]>`
    select seq::int as seq, id::text as id, cmid, body, author_id::text as author
    from messages where room_id = ${room} order by seq`;
  const stored = rows.map((r) => ({ seq: r.seq, id: r.id, cmid: r.cmid, body: r.body, from: r.author }));
  assert.deepEqual(stored.slice(0, -1), [...expected], 'stored rows are the acked messages');
  assert.equal(stored.at(-1)?.id, fenceId);
}

describe(`publish properties (seed ${SEED})`, () => {
  let c: Cluster;
  const publishers: TokenResponse[] = [];
  const listeners: TokenResponse[] = [];
  let orderRoom: string;
  let retryRoom: string;

  before(async () => {
    c = await startCluster({ gateways: GATEWAYS });
    for (let i = 0; i < PUBLISHERS; i++) publishers.push(await c.user(`pub${i}`));
    for (let i = 0; i < LISTENERS; i++) listeners.push(await c.user(`listen${i}`));
    // Public rooms of their own (not the global room), so each property's
    // seqs start at 1 and the first publishes race through the counter seed.
    // Everyone joins before connecting, so `welcome` already covers the room.
    const owner = publishers[0]!;
    const create = async (name: string) => {
      const res = await c.post<MyRoom>('/v1/rooms', { name, visibility: 'public' }, owner.accessToken);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      for (const u of [...publishers.slice(1), ...listeners]) {
        const joined = await c.post<MyRoom>(`/v1/rooms/${res.body.id}/join`, undefined, u.accessToken);
        assert.equal(joined.status, 200, JSON.stringify(joined.body));
      }
      return res.body.id;
    };
    orderRoom = await create(`order-${SEED}`);
    retryRoom = await create(`retries-${SEED}`);
  });
  after(async () => {
    await c?.stop();
  });

  /** Connects `user` to gateway `gw` and checks its welcome includes `room`. */
  const connect = async (gw: number, user: TokenResponse, room: string): Promise<ParleySocket> => {
    const ws = await c.connect(gw, user.accessToken);
    const welcome = await ws.next('welcome', () => true, REPLY_WAIT_MS);
    assert.ok(welcome.rooms.includes(room), `${user.user.username} on gateway ${gw + 1} is subscribed to the room`);
    return ws;
  };

  test(`concurrent publishers on ${GATEWAYS} gateways: gap-free seqs, ordered exactly-once delivery and persistence`, async () => {
    const rng = prng(SEED ^ 0x0a0a0a0a);
    const room = orderRoom;
    const pubs = await Promise.all(publishers.map((u, i) => connect(i % GATEWAYS, u, room)));
    const lis = await Promise.all(listeners.map((u, i) => connect(i % GATEWAYS, u, room)));
    // Draw the whole plan first, so it depends on the seed alone, not on timing.
    const plans = publishers.map(() => ({
      width: rng.int(1, 4),
      pauses: Array.from({ length: ORDER_MESSAGES_EACH }, () => (rng.chance(0.3) ? rng.int(1, 3) : 0)),
      lengths: Array.from({ length: ORDER_MESSAGES_EACH }, () => rng.int(1, 200)),
    }));

    const sent = await Promise.all(
      pubs.map((ws, p) =>
        pipelined(ORDER_MESSAGES_EACH, plans[p]!.width, async (i) => {
          await pause(plans[p]!.pauses[i]!);
          const cmid = `p${p}-m${i}`;
          const body = `${cmid} ${'x'.repeat(plans[p]!.lengths[i]!)}`;
          const s = await publish(ws, room, cmid, body);
          assert.equal(s.ack.duplicate, false, `${cmid} is new`);
          return { ...s, expected: { seq: s.ack.seq, id: s.ack.id, cmid, body, from: publishers[p]!.user.id } };
        }),
      ),
    );
    const all = sent.flat();
    const n = all.length;

    assert.equal(seqProblems([...all.map((s) => s.ack.seq)].sort((x, y) => x - y), n), null, 'acked seqs are exactly 1..N');
    assert.equal(new Set(all.map((s) => s.ack.id)).size, n, 'every ack has its own id');
    assert.deepEqual(causalityViolations(all.map((s) => ({ seq: s.ack.seq, ...s }))).slice(0, 10), []);

    const expected = all.map((s) => s.expected).sort((x, y) => x.seq - y.seq);
    const sockets = [
      ...pubs.map((ws, i) => ({ name: `pub${i} on gateway ${(i % GATEWAYS) + 1}`, ws })),
      ...lis.map((ws, i) => ({ name: `listen${i} on gateway ${(i % GATEWAYS) + 1}`, ws })),
    ];
    const fenceId = await assertDeliveredExactlyOnce(sockets, pubs[0]!, room, expected);
    await assertPersistedExactlyOnce(c, room, expected, fenceId);

    await Promise.all([...pubs, ...lis].map((ws) => ws.close()));
  });

  test('every publish retried (same socket or another gateway, after the ack or racing it): original ack, no second seq, delivery or row', async () => {
    const rng = prng(SEED ^ 0x50505050);
    const room = retryRoom;
    // Each publisher has two sockets on different gateways; retries may cross them.
    const home = await Promise.all(publishers.map((u, i) => connect(i % GATEWAYS, u, room)));
    const away = await Promise.all(publishers.map((u, i) => connect((i + 1) % GATEWAYS, u, room)));
    const lis = await Promise.all(listeners.map((u, i) => connect(i % GATEWAYS, u, room)));

    const kinds = ['same socket after ack', 'same socket racing', 'other gateway after ack', 'other gateway racing'] as const;
    const plans = publishers.map(() => ({
      width: rng.int(1, 4),
      steps: Array.from({ length: RETRY_MESSAGES_EACH }, () => ({
        kind: rng.pick(kinds),
        /** For racing pairs: whether the away socket sends first. */
        awayFirst: rng.chance(0.5),
        /** For after-ack retries: whether the retry carries a different body (which must be ignored). */
        changedBody: rng.chance(0.5),
        pause: rng.chance(0.3) ? rng.int(1, 3) : 0,
      })),
    }));

    const pairs = await Promise.all(
      home.map((ws, p) =>
        pipelined(RETRY_MESSAGES_EACH, plans[p]!.width, async (i) => {
          const step = plans[p]!.steps[i]!;
          await pause(step.pause);
          const cmid = `p${p}-m${i}`;
          const body = `${cmid} original`;
          const other = step.kind.startsWith('other') ? away[p]! : ws;
          let copies: [Sent, Sent];
          if (step.kind.endsWith('after ack')) {
            const first = await publish(ws, room, cmid, body);
            const retry = await publish(other, room, cmid, step.changedBody ? `${cmid} changed on retry` : body);
            assert.equal(first.ack.duplicate, false, `${cmid} (${step.kind}): the first copy is new`);
            assert.equal(retry.ack.duplicate, true, `${cmid} (${step.kind}): the retry is a duplicate`);
            copies = [first, retry];
          } else {
            // Both copies are on the wire before either is acked.
            const [a, b] = step.awayFirst && other !== ws ? [other, ws] : [ws, other];
            copies = await Promise.all([publish(a, room, cmid, body), publish(b, room, cmid, body)]);
            assert.equal(copies.filter((s) => !s.ack.duplicate).length, 1, `${cmid} (${step.kind}): exactly one copy is new`);
          }
          const [x, y] = copies;
          assert.deepEqual(
            { id: y.ack.id, seq: y.ack.seq, createdAt: y.ack.createdAt },
            { id: x.ack.id, seq: x.ack.seq, createdAt: x.ack.createdAt },
            `${cmid} (${step.kind}): both acks carry the original id, seq and createdAt`,
          );
          return {
            // The message was accepted no earlier than its first send and no later than its first ack.
            op: { seq: x.ack.seq, sentAt: Math.min(x.sentAt, y.sentAt), ackedAt: Math.min(x.ackedAt, y.ackedAt) },
            expected: { seq: x.ack.seq, id: x.ack.id, cmid, body, from: publishers[p]!.user.id },
          };
        }),
      ),
    );
    const all = pairs.flat();
    const n = all.length;

    assert.equal(seqProblems(all.map((s) => s.op.seq).sort((x, y) => x - y), n), null, 'N distinct messages have seqs exactly 1..N');
    assert.deepEqual(causalityViolations(all.map((s) => s.op)).slice(0, 10), []);

    const expected = all.map((s) => s.expected).sort((x, y) => x.seq - y.seq);
    const sockets = [
      ...home.map((ws, i) => ({ name: `pub${i} on gateway ${(i % GATEWAYS) + 1}`, ws })),
      ...away.map((ws, i) => ({ name: `pub${i} on gateway ${((i + 1) % GATEWAYS) + 1}`, ws })),
      ...lis.map((ws, i) => ({ name: `listen${i} on gateway ${(i % GATEWAYS) + 1}`, ws })),
    ];
    const fenceId = await assertDeliveredExactlyOnce(sockets, lis[0]!, room, expected);
    await assertPersistedExactlyOnce(c, room, expected, fenceId);

    await Promise.all([...home, ...away, ...lis].map((ws) => ws.close()));
  });
});
