/**
 * The fault suite's moving parts: a cluster (2 gateways, api, worker) on a
 * redis-server of the test's own, publishers that keep publishing through any
 * fault and observers that follow the documented client procedure, both
 * through the client SDK (client/src): it retries unacked publishes with the
 * same cmid, reconnects to a live gateway, resumes and fills gaps.
 */
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../../testkit/cluster.js';
import { startRedisServer, type OwnRedis } from '../../testkit/redis-server.js';
import { ParleyClient, type ParleyClientOptions } from '../../client/src/node.js';
import { Recorder, sessionOf } from '../sdk-recorder.js';
import type { ChatMessage, SeqRange } from '../../shared/protocol/frames.js';
import type { PresenceResponse, TokenResponse } from '../../shared/http/schemas.js';
import { partitionOf } from '../../shared/redis/keys.js';
import type { RedisTopology } from '../../shared/config/redis-topology.js';

export interface Ack {
  room: string;
  seq: number;
  id: string;
  cmid: string;
  /** When the ack arrived (epoch ms). */
  at: number;
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

/** A client of the SDK for one user that tries the gateways in turn: `urls[attempt % urls.length]`. */
function client(token: TokenResponse, urls: readonly string[], apiUrl: string, options: ParleyClientOptions = {}): ParleyClient {
  return new ParleyClient({
    apiUrl,
    wsUrl: (attempt) => urls[attempt % urls.length]!,
    session: sessionOf(token),
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
    ...options,
  });
}

/**
 * Publishes `total` messages across `rooms` at about `perSecond`, with up to
 * `window` unacked at once, through the SDK: an unacked publish is sent
 * again, with the same cmid, after a retryable error or on the next socket
 * after a reconnect, so every message is acked exactly once in the end
 * (duplicates: same seq). A publish the SDK rejects fails the run.
 */
export class Publisher {
  readonly acks: Ack[] = [];
  readonly client: ParleyClient;
  private inFlight = 0;
  private failure: Error | null = null;

  constructor(
    private readonly name: string,
    token: TokenResponse,
    urls: readonly string[],
    apiUrl: string,
    private readonly rooms: readonly string[],
    private readonly options: { total: number; perSecond: number; window: number },
  ) {
    this.client = client(token, urls, apiUrl, { publishTimeoutMs: 60_000 });
  }

  async run(): Promise<void> {
    await this.client.connect();
    const interval = 1000 / this.options.perSecond;
    for (let next = 0; this.acks.length < this.options.total; ) {
      if (this.failure) throw this.failure;
      if (next < this.options.total && this.inFlight < this.options.window) {
        const cmid = `${this.name}-${next}`;
        const room = this.rooms[next % this.rooms.length]!;
        const body = `${this.name} #${next}`;
        next++;
        this.inFlight++;
        this.client.publish(room, body, { cmid }).then(
          (ack) => this.acks.push({ room: ack.room, seq: ack.seq, id: ack.id, cmid: ack.cmid, at: Date.now() }),
          (err: unknown) => (this.failure = new Error(`${this.name}: publish ${cmid} refused for good: ${String(err)}`)),
        ).finally(() => this.inFlight--);
      }
      await sleep(interval);
    }
  }

  stop(): void {
    this.client.disconnect();
  }

  acked(): number {
    return this.acks.length;
  }
}

/**
 * An observer following the documented client procedure (the SDK), reconnecting
 * to a live gateway whenever its socket closes. `resume: false` observers
 * rely on gap detection and history alone.
 */
export class Observer {
  readonly client: ParleyClient;
  /** What the SDK delivered: messages per room, skips, history reads, frames. */
  readonly seen: Recorder;

  constructor(
    readonly name: string,
    token: TokenResponse,
    urls: readonly string[],
    apiUrl: string,
    resume: boolean,
  ) {
    this.client = client(token, urls, apiUrl, { resume, gapWaitMs: 500, historyRetryMs: 200, historyAttempts: 60 });
    this.seen = new Recorder(this.client);
  }

  async start(): Promise<void> {
    await this.client.connect();
  }

  stop(): void {
    this.client.disconnect();
  }
}

/** `R`: the Redis of the test's own the fault acts on (one redis-server, or a Sentinel setup). */
export interface FaultCluster<R = OwnRedis> {
  redis: R;
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
  return startFaultClusterOn(names, redis, { redisUrl: redis.url });
}

/**
 * The same on a Redis of the test's own that the caller started (and that
 * `stop()` destroys, as it does on a failure here): `target` says how the
 * services reach it, `env` adds settings to FAST_ENV, `partitions` is the
 * number of rooms, each in a persistence partition of its own (at most
 * PARTITIONS; a Redis Cluster's tests cover every partition, so every shard).
 */
export async function startFaultClusterOn<R extends { destroy(): Promise<void> }>(
  names: readonly string[],
  redis: R,
  target: { redisUrl: string; redisTopology?: RedisTopology },
  env: Record<string, string> = {},
  partitions = 2,
): Promise<FaultCluster<R>> {
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({ gateways: 2, ...target, env: { ...FAST_ENV, ...env } });
    const users = new Map<string, TokenResponse>();
    for (const name of names) users.set(name, await cluster.user(name));
    const owner = users.get(names[0]!)!;
    const rooms: string[] = [];
    while (rooms.length < partitions) {
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
