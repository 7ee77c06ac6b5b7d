/**
 * One fault scenario, run the same way for every fault: the fault cluster,
 * 2 publishers, resuming and plain observers on both gateways (and, for a
 * gateway fault, bystanders on the faulted one), the fault injected while at
 * least 1,000 messages are published, then every guarantee checked: no seq
 * acked twice, Postgres holds every acked message (or a data loss took it
 * inside a reported gap), every observer ends with every acked message in
 * order or a gap covering it without having to give up, and presence has no
 * ghosts and every offline event.
 *
 * For a Redis fault (no gateway taken down) two Socket.IO sockets also
 * listen, one over WebSocket on each gateway and one over long-polling: they
 * never reconnect or fill gaps themselves, so what they end with is what the
 * gateways' own repair delivered to the Socket.IO transport: every acked
 * message once, in order, or (after a data loss) a `gap` event covering it.
 */
import assert from 'node:assert/strict';
import type { ParleySocket } from '../../shared/client/socket.js';
import type { SioParleySocket } from '../../shared/client/sio-socket.js';
import type { SeqRange } from '../../shared/protocol/frames.js';
import {
  Observer,
  Publisher,
  inRanges,
  persisted,
  presenceOf,
  recordedGaps,
  scrape,
  seqsIn,
  sleep,
  startFaultCluster,
  type Ack,
  type FaultCluster,
} from './harness.js';
import type { OwnRedis } from '../../testkit/redis-server.js';

export interface Scenario<R = OwnRedis> {
  /** Injects the fault while the publishers run. */
  fault(fc: FaultCluster<R>): Promise<void>;
  /** The gateway the fault takes down (its bystanders must be seen going offline); none for Redis faults. */
  faultedGateway?: number;
  /** Redis loses data: acked messages not yet persisted may be lost, but only inside reported gaps. */
  mayLoseData?: boolean;
  /** Proves the fault happened and was handled the intended way (so the run cannot pass vacuously). */
  check(fc: FaultCluster<R>, run: RunRecord): Promise<void>;
}

/** What a scenario's check may look at besides the cluster. */
export interface RunRecord {
  observers: Observer[];
  /** When each bystander's socket closed (epoch ms), for gateway faults. */
  bystanderClosedAt: number[];
  /** Every ack the publishers got (a retried message once per attempt that was acked). */
  acks: Ack[];
  /** Acked messages Postgres does not hold: each lies in a reported gap (checked before `check` runs). */
  lost: Ack[];
  /** The skipped ranges recorded per room. */
  gaps: Map<string, SeqRange[]>;
}

const PUBLISHERS = ['pub0', 'pub1'];
/** `resuming` observers send `resume` after each reconnect; `plain` ones rely on gap detection and history alone. */
const OBSERVERS = [
  { name: 'resuming0', gateway: 0, resume: true },
  { name: 'resuming1', gateway: 1, resume: true },
  { name: 'plain0', gateway: 0, resume: false },
  { name: 'plain1', gateway: 1, resume: false },
];
const BYSTANDERS = ['bystander0', 'bystander1', 'bystander2', 'bystander3'];
/** Socket.IO listeners for Redis faults: gateway and Engine.IO transport of each. */
const SIO_LISTENERS = [
  { name: 'sio-ws0', gateway: 0, transport: 'websocket' },
  { name: 'sio-poll1', gateway: 1, transport: 'polling' },
] as const;
/** Per publisher: 2 × 600 acked messages, about 4 s at 150/s each, the fault in the middle. */
const PER_PUBLISHER = 600;

export async function runScenario(scenario: Scenario, redisArgs: string[] = []): Promise<void> {
  return runScenarioOn((names) => startFaultCluster(names, redisArgs), scenario);
}

/** The same on a fault cluster that `start` builds for the given user names (e.g. on a Sentinel setup). */
export async function runScenarioOn<R>(start: (names: readonly string[]) => Promise<FaultCluster<R>>, scenario: Scenario<R>): Promise<void> {
  const names = [...PUBLISHERS, ...OBSERVERS.map((o) => o.name), ...BYSTANDERS, ...SIO_LISTENERS.map((l) => l.name)];
  const fc = await start(names);
  const { cluster: c, rooms, users } = fc;
  const urls = (first: number) => [c.gatewayUrls[first]!, c.gatewayUrls[1 - first]!];
  const observers = OBSERVERS.map((o) => new Observer(o.name, users.get(o.name)!, urls(o.gateway), c.apiUrl, o.resume));
  const publishers = PUBLISHERS.map((p, i) => new Publisher(p, users.get(p)!, urls(i), c.apiUrl, rooms, { total: PER_PUBLISHER, perSecond: 150, window: 8 }));
  const bystanders: ParleySocket[] = [];
  const bystanderClosedAt: number[] = [];
  const listeners: SioParleySocket[] = [];
  try {
    for (const o of observers) await o.start();
    if (scenario.faultedGateway === undefined) {
      for (const l of SIO_LISTENERS) {
        const sio = await c.connectSocketIo(l.gateway, users.get(l.name)!.accessToken, { transports: [l.transport] });
        await sio.next('welcome');
        listeners.push(sio);
      }
    }
    if (scenario.faultedGateway !== undefined) {
      for (const b of BYSTANDERS) {
        const ws = await c.connect(scenario.faultedGateway, users.get(b)!.accessToken);
        await ws.next('welcome');
        bystanders.push(ws);
        void ws.closed.then(() => bystanderClosedAt.push(Date.now()));
      }
    }
    // The watcher of presence sits on the gateway that survives.
    const watcher = observers.find((o) => o.name === `resuming${1 - (scenario.faultedGateway ?? 1)}`)!;
    const running = Promise.all(publishers.map((p) => p.run()));
    const total = PUBLISHERS.length * PER_PUBLISHER;
    while (publishers.reduce((n, p) => n + p.acked(), 0) < total * 0.3) await sleep(20);
    await scenario.fault(fc);
    await running;

    const acks = publishers.flatMap((p) => p.acks);
    assert.ok(new Set(acks.map((a) => a.cmid)).size >= 1000, 'at least 1,000 acked messages');
    // No seq assigned twice: one id per (room, seq) across every ack.
    const byRoomSeq = new Map<string, Ack>();
    for (const a of acks) {
      const key = `${a.room}:${a.seq}`;
      const first = byRoomSeq.get(key) ?? a;
      assert.equal(first.id, a.id, `seq ${a.seq} of room ${a.room} was acked for two messages: ${JSON.stringify(first)} and ${JSON.stringify(a)}`);
      byRoomSeq.set(key, a);
    }
    const acked = new Map<string, Ack>(acks.map((a) => [`${a.room}:${a.seq}`, a]));

    // Persisted == acked, except what a data loss took, which must lie in a recorded gap.
    const gaps = new Map<string, SeqRange[]>();
    let lost: Ack[] = [];
    await eventuallyTrue('the worker to persist every acked message that still exists', 30_000, async () => {
      for (const room of rooms) gaps.set(room, await recordedGaps(c, room));
      const rows = new Map((await persisted(c, rooms)).map((r) => [`${r.room}:${r.seq}`, r.id]));
      for (const [key, id] of rows) {
        const ack = acked.get(key);
        if (ack) assert.equal(id, ack.id, `Postgres holds another message at ${key} than was acked`);
      }
      lost = [...acked.values()].filter((a) => !rows.has(`${a.room}:${a.seq}`));
      return lost.every((a) => scenario.mayLoseData && inRanges(a.seq, gaps.get(a.room)!));
    });
    if (lost.length > 0) {
      // A loss is reported: the metric, and the gap history lists (checked above).
      assert.ok((await scrape(c, 'parley_redis_data_loss_total')) > 0, 'the data loss is counted');
    }

    await scenario.check(fc, { observers, bystanderClosedAt, acks, lost, gaps });

    // Every observer ends with every acked message in seq order, or a gap that covers it.
    for (const o of observers) {
      await eventuallyTrue(`${o.name} to catch up`, 30_000, async () => {
        for (const room of rooms) {
          const top = Math.max(...seqsIn(acks, room));
          // Thrown, not returned: the timeout then says where the observer stands.
          const at = o.client.lastSeq(room) ?? 0;
          if (at < top) throw new Error(`${o.name} is at seq ${at} of room ${room}, whose last acked seq is ${top}`);
        }
        return true;
      });
      await o.seen.settled();
      for (const room of rooms) {
        const delivered = o.seen.delivered.get(room) ?? [];
        const seqs = delivered.map((m) => m.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${o.name}: in seq order`);
        assert.equal(new Set(seqs).size, seqs.length, `${o.name}: no message twice`);
        assert.deepEqual(o.seen.skipped.get(room) ?? [], [], `${o.name}: nothing had to be skipped unexplained`);
        const byDelivered = new Map(delivered.map((m) => [m.seq, m.id]));
        for (const a of acks.filter((x) => x.room === room)) {
          const got = byDelivered.get(a.seq);
          if (got !== undefined) assert.equal(got, a.id, `${o.name}: seq ${a.seq} is the acked message`);
          else assert.ok(inRanges(a.seq, gaps.get(room)!), `${o.name}: acked seq ${a.seq} of ${room} neither delivered nor in a reported gap`);
        }
      }
    }

    // The Socket.IO listeners stayed connected and got what the gateways repaired.
    for (const [i, sio] of listeners.entries()) {
      const name = SIO_LISTENERS[i]!.name;
      const gapsSeen = (room: string) => sio.frames.flatMap((f) => (f.type === 'gap' && f.room === room ? [f.missing] : []));
      await eventuallyTrue(`${name} to receive every acked message`, 30_000, async () => {
        for (const room of rooms) {
          const got = new Set(sio.frames.flatMap((f) => (f.type === 'message' && f.room === room ? [f.seq] : [])));
          const missing = seqsIn(acks, room).filter((seq) => !got.has(seq) && !inRanges(seq, gapsSeen(room)));
          if (missing.length > 0) throw new Error(`${name} lacks ${missing.length} acked messages of ${room}, from seq ${missing[0]}`);
        }
        return true;
      });
      assert.equal(sio.socket.connected, true, `${name} stayed connected through the fault`);
      for (const room of rooms) {
        const delivered = sio.frames.filter((f) => f.type === 'message' && f.room === room) as { seq: number; id: string }[];
        const seqs = delivered.map((m) => m.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${name}: in seq order`);
        assert.equal(new Set(seqs).size, seqs.length, `${name}: no message twice`);
        for (const m of delivered) {
          const ack = acked.get(`${room}:${m.seq}`);
          if (ack) assert.equal(m.id, ack.id, `${name}: seq ${m.seq} is the acked message`);
        }
        // After a data loss a gap event may also name seqs that only history still has (the log lost them).
        if (!scenario.mayLoseData) assert.deepEqual(gapsSeen(room), [], `${name}: no gap event without a data loss`);
      }
    }

    // Presence: the faulted gateway's bystanders went offline for everyone, and no one is a ghost.
    if (scenario.faultedGateway !== undefined) {
      for (const b of BYSTANDERS) {
        const id = users.get(b)!.user.id;
        await eventuallyTrue(`the offline event of ${b}`, 15_000, async () => watcher.seen.presence.some((f) => f.user.id === id && !f.online));
      }
    }
    const asker = users.get('resuming0')!;
    const online = await presenceOf(c, asker, [...users.values()]);
    for (const o of [...OBSERVERS.map((x) => x.name), ...PUBLISHERS]) assert.equal(online.get(users.get(o)!.user.id), true, `${o} is online`);
    if (scenario.faultedGateway !== undefined) {
      await eventuallyTrue('no ghosts', 15_000, async () => {
        const now = await presenceOf(c, asker, BYSTANDERS.map((b) => users.get(b)!));
        return [...now.values()].every((v) => !v);
      });
    }
  } finally {
    // On failure, E2E_DUMP_LOGS=1 prints every service's output (Cluster.stop).
    for (const p of publishers) p.stop();
    for (const o of observers) o.stop();
    for (const b of bystanders) void b.close();
    for (const l of listeners) void l.close();
    await fc.stop();
  }
}

async function eventuallyTrue(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      if (last instanceof Error) throw last;
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(100);
  }
}
