/**
 * The fault suite's moving parts: a cluster (2 gateways, api, worker) on a
 * redis-server of the test's own, publishers that keep publishing through any
 * fault (retrying unacked publishes with the same cmid, reconnecting to a
 * live gateway), and observers that follow the documented client procedure
 * (ResumingClient) and reconnect the same way.
 */
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../../testkit/cluster.js';
import { startRedisServer, type OwnRedis } from '../../testkit/redis-server.js';
import { ParleySocket } from '../../shared/client/socket.js';
import { ResumingClient } from '../../shared/client/resuming.js';
import type { ChatMessage, SeqRange, ServerFrame } from '../../shared/protocol/frames.js';
import type { PresenceResponse, TokenResponse } from '../../shared/http/schemas.js';
import { partitionOf } from '../../shared/redis/keys.js';

export interface Ack {
  room: string;
  seq: number;
  id: string;
  cmid: string;
}

/** Settings that make every recovery quick enough for a test run. */
export const FAST_ENV: Record<string, string> = {
  PRESENCE_HEARTBEAT_MS: '200',
  GATEWAY_PROBE_INTERVAL_MS: '300',
  GATEWAY_PROBE_TIMEOUT_MS: '200',
  GATEWAY_PROBE_MAX_FAILURES: '3',
  GATEWAY_DRAIN_SPREAD_MS: '500',
  GATEWAY_DRAIN_TIMEOUT_MS: '2000',
  REDIS_EPOCH_CHECK_MS: '300',
  // The reseed margin after a data loss; the backlog never gets near it here.
  PERSIST_MAX_BACKLOG: '10000',
  // Repairs after a subscriber reconnect always find what they need in the log.
  ROOM_LOG_MAXLEN: '100000',
  WORKER_CLAIM_MIN_IDLE_MS: '1000',
  WORKER_CLAIM_INTERVAL_MS: '500',
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects to the first gateway in `order` that accepts, retrying with backoff until one does. */
async function connectAny(urls: readonly string[], connect: (url: string) => Promise<ParleySocket>, stopped: () => boolean): Promise<ParleySocket | null> {
  for (let attempt = 0; !stopped(); attempt++) {
    for (const url of urls) {
      try {
        return await connect(url);
      } catch {
        // down, draining, or refusing: try the next one
      }
    }
    await sleep(Math.min(1000, 50 * 2 ** attempt));
  }
  return null;
}

/**
 * Publishes `total` messages across `rooms` at about `perSecond`, with up to
 * `window` unacked at once. An unacked publish is sent again, with the same
 * cmid, after a retryable error or on the new socket after a reconnect, so
 * every message is acked exactly once in the end (duplicates: same seq).
 */
export class Publisher {
  readonly acks: Ack[] = [];
  private socket: ParleySocket | null = null;
  private readonly unacked = new Map<string, { room: string; body: string }>();
  private next = 0;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly token: string,
    private readonly urls: readonly string[],
    private readonly rooms: readonly string[],
    private readonly options: { total: number; perSecond: number; window: number },
  ) {}

  async run(): Promise<void> {
    await this.reconnect();
    const interval = 1000 / this.options.perSecond;
    while (this.acked() < this.options.total) {
      if (this.next < this.options.total && this.unacked.size < this.options.window) {
        const cmid = `${this.name}-${this.next}`;
        const message = { room: this.rooms[this.next % this.rooms.length]!, body: `${this.name} #${this.next}` };
        this.next++;
        this.unacked.set(cmid, message);
        this.send(cmid);
      }
      await sleep(interval);
    }
  }

  stop(): void {
    this.stopped = true;
    void this.socket?.close();
  }

  acked(): number {
    return new Set(this.acks.map((a) => a.cmid)).size;
  }

  private send(cmid: string): void {
    const message = this.unacked.get(cmid);
    if (!message || !this.socket) return;
    try {
      this.socket.send({ type: 'publish', ref: cmid, room: message.room, cmid, body: message.body });
    } catch {
      // The socket is closing; the reconnect resends.
    }
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type === 'ack') {
      if (!this.unacked.delete(frame.cmid)) return;
      this.acks.push({ room: frame.room, seq: frame.seq, id: frame.id, cmid: frame.cmid });
    } else if (frame.type === 'error' && frame.ref && this.unacked.has(frame.ref)) {
      assert.ok(frame.retryable, `${this.name}: publish ${frame.ref} refused for good: ${frame.code} ${frame.message}`);
      const ref = frame.ref;
      setTimeout(() => this.send(ref), frame.retryAfterMs ?? 200);
    }
  }

  private async reconnect(): Promise<void> {
    const socket = await connectAny(this.urls, (url) => ParleySocket.connect(url, this.token), () => this.stopped);
    if (!socket) return;
    this.socket = socket;
    socket.onFrame((frame) => this.onFrame(frame));
    await socket.next('welcome', () => true, 10_000).catch(() => undefined);
    for (const cmid of this.unacked.keys()) this.send(cmid);
    void socket.closed.then(() => {
      if (!this.stopped) void this.reconnect();
    });
  }
}

/** An observer following the documented client procedure, reconnecting to a live gateway whenever its socket closes. */
export class Observer {
  readonly client: ResumingClient;
  private stopped = false;

  constructor(
    readonly name: string,
    token: string,
    private readonly urls: readonly string[],
    apiUrl: string,
    resume: boolean,
  ) {
    this.client = new ResumingClient({ url: urls[0]!, apiUrl, token, resume, gapWaitMs: 500, historyRetryMs: 200, historyAttempts: 60 });
  }

  async start(): Promise<void> {
    await this.client.connect(this.urls[0]);
    this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.client.stop();
    void this.client.socket?.close();
  }

  private watch(): void {
    const socket = this.client.socket!;
    void socket.closed.then(async () => {
      if (this.stopped) return;
      // The small delay every client should wait before reconnecting (docs/protocol.md, 1012); messages go on meanwhile.
      await sleep(200);
      const again = await connectAny(this.urls, (url) => this.client.connect(url), () => this.stopped);
      if (again) this.watch();
    });
  }
}

export interface FaultCluster {
  redis: OwnRedis;
  cluster: Cluster;
  rooms: string[];
  /** Everyone's logins, by name. */
  users: Map<string, TokenResponse>;
  stop(): Promise<void>;
}

/**
 * An own redis-server and a cluster on it, with two rooms (in different
 * persistence partitions, so a loss hits each on its own) and the named
 * users, all members of both.
 */
export async function startFaultCluster(names: readonly string[], redisArgs: string[] = []): Promise<FaultCluster> {
  const redis = await startRedisServer({ args: redisArgs });
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ gateways: 2, redisUrl: redis.url, env: FAST_ENV });
    const users = new Map<string, TokenResponse>();
    for (const name of names) users.set(name, await cluster.user(name));
    const owner = users.get(names[0]!)!;
    const rooms: string[] = [];
    while (rooms.length < 2) {
      const created: { status: number; body: { id: string } } = await cluster.post<{ id: string }>('/v1/rooms', { name: `faults-${rooms.length}-${Math.random()}`, visibility: 'public' }, owner.accessToken);
      assert.equal(created.status, 201);
      if (rooms.some((r) => partitionOf(r) === partitionOf(created.body.id))) continue;
      rooms.push(created.body.id);
    }
    for (const room of rooms) {
      for (const name of names.slice(1)) assert.equal((await cluster.post(`/v1/rooms/${room}/join`, undefined, users.get(name)!.accessToken)).status, 200);
    }
    const started = cluster;
    return {
      redis,
      cluster: started,
      rooms,
      users,
      async stop() {
        await started.stop();
        await redis.destroy();
      },
    };
  } catch (err) {
    await cluster?.stop().catch(() => undefined);
    await redis.destroy();
    throw err;
  }
}

/** Seqs (sorted) of a list of acks or messages in one room. */
export const seqsIn = (items: readonly { room: string; seq: number }[], room: string): number[] =>
  items.filter((i) => i.room === room).map((i) => i.seq).sort((a, b) => a - b);

export const inRanges = (seq: number, ranges: readonly SeqRange[]): boolean => ranges.some((r) => r.from <= seq && seq <= r.to);

/** Every row of the rooms in Postgres. */
export async function persisted(c: Cluster, rooms: readonly string[]): Promise<{ room: string; seq: number; id: string }[]> {
  return c.db.sql<{ room: string; seq: number; id: string }[]>`
    select room_id as room, seq, id from messages where room_id = any(${rooms as string[]}::uuid[]) order by room_id, seq
  `;
}

export async function recordedGaps(c: Cluster, room: string): Promise<SeqRange[]> {
  const rows = await c.db.sql<{ from_seq: number; to_seq: number }[]>`select from_seq, to_seq from room_seq_gaps where room_id = ${room} order by from_seq`;
  return rows.map((r) => ({ from: r.from_seq, to: r.to_seq }));
}

export async function presenceOf(c: Cluster, asker: TokenResponse, users: readonly TokenResponse[]): Promise<Map<string, boolean>> {
  const query = users.map((u) => `user=${u.user.id}`).join('&');
  const res = await c.get<PresenceResponse>(`/v1/presence?${query}`, asker.accessToken);
  assert.equal(res.status, 200);
  return new Map(res.body.users.map((u) => [u.userId, u.online]));
}

/** The sum of a counter over every process's /metrics that exposes it. */
export async function scrape(c: Cluster, metric: string): Promise<number> {
  let total = 0;
  for (const proc of [c.api, c.worker, ...c.gateways]) {
    const text = await fetch(`http://127.0.0.1:${proc.opsPort}/metrics`).then((r) => r.text(), () => '');
    for (const line of text.split('\n')) if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) total += Number(line.split(' ').at(-1));
  }
  return total;
}

export type { ChatMessage };
