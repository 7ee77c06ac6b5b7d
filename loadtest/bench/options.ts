/**
 * The `npm run bench` command line, parsed once into a typed config.
 * `--smoke` swaps the full-scale defaults for tiny ones (a few seconds, a
 * few hundred sockets); explicit flags override either.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { MIN_BODY_BYTES } from './body.js';
import { TARGET_KINDS } from './registry.js';
import type { TargetKind } from './target.js';

export type ScenarioId = 1 | 2 | 3 | 4 | 5 | 6;
export const SCENARIOS: readonly ScenarioId[] = [1, 2, 3, 4, 5, 6];

export interface BigRoomOptions {
  sockets: number;
  publishers: number;
  /** Aggregate messages/s of the first step. */
  startRate: number;
  factor: number;
  stepSeconds: number;
  maxRate: number;
  maxSteps: number;
  p99LimitMs: number;
}

export interface SmallRoomsOptions {
  rooms: number;
  roomSize: number;
  /** The ladder: aggregate messages/s over all rooms, one step each, in this order (climbing stops after a step fails). */
  rates: number[];
  /** Per step. */
  seconds: number;
  /** A step fails when its p99 is at or above this. */
  p99LimitMs: number;
}

export interface IdleOptions {
  perGateway: number;
  /** Most sockets one generator process holds (each is an open file; the cap is 20,000). */
  perProcess: number;
  holdSeconds: number;
  concurrency: number;
  /** A generator process stops opening after this many failures. */
  stopAfterFailures: number;
}

export interface StormOptions {
  sockets: number;
  concurrency: number;
}

export interface DrainOptions {
  /** Backlog to build with the worker stopped. */
  messages: number;
  /** Publisher sockets, each alone in its own room. */
  publishers: number;
  /** Aggregate messages/s while filling (open loop). */
  fillRate: number;
  /** Longest wait for the worker to empty the backlog. */
  maxDrainSeconds: number;
}

export interface BenchOptions {
  scenarios: ScenarioId[];
  targets: TargetKind[];
  smoke: boolean;
  /** Generator worker threads (scenarios 1, 2 and 4). */
  threads: number;
  payloadBytes: number;
  /** Upgrades in flight while scenarios 1, 2 and 6 set up their sockets. */
  connectConcurrency: number;
  /** Longest wait for in-flight deliveries after publishing stops. */
  drainMs: number;
  /** JSON result file; default .local/bench/<timestamp>.json. */
  out: string | null;
  /** When set, every target process is CPU-profiled (see cpu-profile.ts) and writes its profile here when it stops. */
  profileDir: string | null;
  /**
   * Redis replicas parley's acks wait for (REDIS_ACK_REPLICAS). With 1 or
   * more, parley runs on a Redis primary and replicas of its own, whose CPU
   * counts as the target's.
   */
  ackReplicas: number;
  /** parley sockets opt in to multi-message frames (`?batch=1` on the upgrade; parley-socketio: `batch` in the CONNECT auth). */
  batchFrames: boolean;
  /** The parley-cluster targets: how the Redis Cluster's slots are split over its primaries. */
  redisSlots: 'even' | 'partitions';
  /** Extra environment for parley's services (KEY=VALUE), e.g. REDIS_PUBLISH_BATCH_MAX=1 to measure a setting. */
  parleyEnv: Record<string, string>;
  bigRoom: BigRoomOptions;
  smallRooms: SmallRoomsOptions;
  idle: IdleOptions;
  storm: StormOptions;
  drain: DrainOptions;
}

export class UsageError extends Error {}

type Defaults = Omit<BenchOptions, 'scenarios' | 'targets' | 'smoke' | 'out' | 'profileDir' | 'ackReplicas' | 'batchFrames' | 'redisSlots' | 'parleyEnv'>;

const FULL: Defaults = {
  threads: cpus().length,
  payloadBytes: 100,
  connectConcurrency: 500,
  drainMs: 10_000,
  bigRoom: { sockets: 5_000, publishers: 4, startRate: 2, factor: 1.5, stepSeconds: 10, maxRate: 2_000, maxSteps: 16, p99LimitMs: 100 },
  smallRooms: { rooms: 1_000, roomSize: 10, rates: [1_000, 2_500, 5_000, 10_000], seconds: 20, p99LimitMs: 50 },
  idle: { perGateway: 19_000, perProcess: 13_000, holdSeconds: 10, concurrency: 500, stopAfterFailures: 50 },
  storm: { sockets: 10_000, concurrency: 1_000 },
  drain: { messages: 200_000, publishers: 100, fillRate: 4_000, maxDrainSeconds: 600 },
};

const SMOKE: Defaults = {
  threads: 2,
  payloadBytes: 100,
  connectConcurrency: 100,
  drainMs: 5_000,
  bigRoom: { sockets: 200, publishers: 2, startRate: 5, factor: 2, stepSeconds: 1.5, maxRate: 1_000, maxSteps: 2, p99LimitMs: 100 },
  // The smoke ladder's limit is loose on purpose: it checks that every step is produced, not a speed.
  smallRooms: { rooms: 20, roomSize: 10, rates: [40, 80], seconds: 1.5, p99LimitMs: 5_000 },
  idle: { perGateway: 100, perProcess: 100, holdSeconds: 1, concurrency: 50, stopAfterFailures: 5 },
  storm: { sockets: 200, concurrency: 50 },
  drain: { messages: 2_000, publishers: 10, fillRate: 1_000, maxDrainSeconds: 60 },
};

const FLAGS = {
  scenario: { type: 'string' },
  target: { type: 'string' },
  smoke: { type: 'boolean' },
  threads: { type: 'string' },
  payload: { type: 'string' },
  'connect-concurrency': { type: 'string' },
  'drain-ms': { type: 'string' },
  out: { type: 'string' },
  'profile-dir': { type: 'string' },
  'ack-replicas': { type: 'string' },
  'batch-frames': { type: 'boolean' },
  'redis-slots': { type: 'string' },
  'parley-env': { type: 'string', multiple: true },
  's1-sockets': { type: 'string' },
  's1-publishers': { type: 'string' },
  's1-start-rate': { type: 'string' },
  's1-factor': { type: 'string' },
  's1-step-seconds': { type: 'string' },
  's1-max-rate': { type: 'string' },
  's1-max-steps': { type: 'string' },
  'p99-limit-ms': { type: 'string' },
  's2-rooms': { type: 'string' },
  's2-room-size': { type: 'string' },
  's2-rates': { type: 'string' },
  's2-rate': { type: 'string' },
  's2-seconds': { type: 'string' },
  's2-p99-limit-ms': { type: 'string' },
  's3-per-gateway': { type: 'string' },
  's3-per-process': { type: 'string' },
  's3-hold-seconds': { type: 'string' },
  's3-concurrency': { type: 'string' },
  's4-sockets': { type: 'string' },
  's4-concurrency': { type: 'string' },
  's6-messages': { type: 'string' },
  's6-publishers': { type: 'string' },
  's6-fill-rate': { type: 'string' },
  's6-max-drain-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const USAGE = `npm run bench -- [options]

  --scenario 1,2,3,4,5,6 scenarios to run (default all; 5 is measured on parley during 1 and 2, and alone runs 1 on parley)
  --target parley,parley-socketio,parley-cluster1,parley-cluster3,relay,socketio
                         targets (default all; a baseline not built yet is skipped as "not available").
                         Scenarios 1, 2, 4 on parley, parley-socketio (parley through its Socket.IO endpoint),
                         relay, socketio; 3 on parley, relay; 5, 6 on parley;
                         2 also on parley-clusterN (parley on a Redis Cluster of N primaries of its own)
  --redis-slots partitions|even  parley-clusterN's slot split: partitions spreads the 8 partitions
                         evenly (3 primaries: 2/3/3), even is redis-cli's (2/2/4) (default partitions)
  --smoke                tiny numbers: a few seconds and a few hundred sockets per scenario
  --threads N            generator worker threads (default: one per core)
  --payload BYTES        message body size (default 100, at least ${MIN_BODY_BYTES})
  --connect-concurrency N  upgrades in flight while scenarios 1, 2 and 6 connect (default 500)
  --drain-ms MS          longest wait for in-flight deliveries after publishing (default 10000)
  --out FILE             JSON results (default .local/bench/<timestamp>.json)
  --profile-dir DIR      CPU-profile every target process (as --cpu-prof); <service>-<pid>.cpuprofile in DIR
  --ack-replicas N       parley acks only once N Redis replicas have a message (REDIS_ACK_REPLICAS, Redis WAIT);
                         parley then runs on a primary and N replicas of its own (default 0: the shared Redis)
  --batch-frames         parley sockets opt in to multi-message frames (?batch=1; parley-socketio: batch in the
                         CONNECT auth): a room's messages of one gateway turn arrive as one frame (event)
  --parley-env KEY=VALUE an environment variable for parley's services (repeatable), e.g.
                         --parley-env REDIS_PUBLISH_BATCH_MAX=1 to measure without publish batching
  scenario 1: --s1-sockets 5000 --s1-publishers 4 --s1-start-rate 2 --s1-factor 1.5
              --s1-step-seconds 10 --s1-max-rate 2000 --s1-max-steps 16 --p99-limit-ms 100
  scenario 2: --s2-rooms 1000 --s2-room-size 10 --s2-rates 1000,2500,5000,10000 (msg/s in all, one step each;
              --s2-rate N is a one-step ladder) --s2-seconds 20 (per step) --s2-p99-limit-ms 50
  scenario 3: --s3-per-gateway 19000 --s3-per-process 13000 --s3-hold-seconds 10 --s3-concurrency 500
  scenario 4: --s4-sockets 10000 --s4-concurrency 1000
  scenario 6: --s6-messages 200000 --s6-publishers 100 --s6-fill-rate 4000 (msg/s, worker stopped)
              --s6-max-drain-seconds 600
`;

function list<T extends string | number>(flag: string, raw: string, allowed: readonly T[], parse: (s: string) => T): T[] {
  const values = raw.split(',').map((s) => s.trim()).filter(Boolean).map(parse);
  const bad = values.filter((v) => !allowed.includes(v));
  if (values.length === 0 || bad.length > 0) throw new UsageError(`--${flag}: expected a comma-separated subset of ${allowed.join(',')}, got "${raw}"`);
  return [...new Set(values)];
}

function number(flag: string, raw: string | undefined, fallback: number, rule: { integer?: boolean; min: number; max?: number }): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(v) && (!rule.integer || Number.isInteger(v)) && v >= rule.min && (rule.max === undefined || v <= rule.max);
  if (!ok) {
    const range = rule.max === undefined ? `≥ ${rule.min}` : `between ${rule.min} and ${rule.max}`;
    throw new UsageError(`--${flag}: expected ${rule.integer ? 'an integer' : 'a number'} ${range}, got "${raw}"`);
  }
  return v;
}

/** Scenario 2's rates: `--s2-rates a,b,…`, or `--s2-rate N` as a one-step ladder (not both). */
function ladder(rates: string | undefined, rate: string | undefined, fallback: number[]): number[] {
  if (rates !== undefined && rate !== undefined) throw new UsageError('--s2-rate is a one-step --s2-rates: give one of them');
  if (rate !== undefined) return [number('s2-rate', rate, 0, { min: 0.1 })];
  if (rates === undefined) return [...fallback];
  const values = rates.split(',').map((r) => number('s2-rates', r.trim(), 0, { min: 0.1 }));
  if (values.length === 0) throw new UsageError(`--s2-rates: expected comma-separated rates, got "${rates}"`);
  return values;
}

/** Throws UsageError with a message naming the flag; `{ help: true }` when --help was given. */
export function parseOptions(argv: string[]): BenchOptions | { help: true } {
  let values: ReturnType<typeof parseArgs<{ options: typeof FLAGS; strict: true }>>['values'];
  try {
    ({ values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return { help: true };
  const smoke = values.smoke ?? false;
  const d = smoke ? SMOKE : FULL;
  const int = (flag: keyof typeof FLAGS, fallback: number, min = 1, max?: number) =>
    number(flag, values[flag] as string | undefined, fallback, max === undefined ? { integer: true, min } : { integer: true, min, max });
  const num = (flag: keyof typeof FLAGS, fallback: number, min: number) => number(flag, values[flag] as string | undefined, fallback, { min });

  const options: BenchOptions = {
    scenarios: values.scenario === undefined ? [...SCENARIOS] : list('scenario', values.scenario, SCENARIOS, Number).sort() as ScenarioId[],
    targets: values.target === undefined ? [...TARGET_KINDS] : list('target', values.target, TARGET_KINDS, (s) => s as TargetKind),
    smoke,
    threads: int('threads', d.threads, 1, 64),
    payloadBytes: int('payload', d.payloadBytes, MIN_BODY_BYTES, 4_000),
    connectConcurrency: int('connect-concurrency', d.connectConcurrency),
    drainMs: int('drain-ms', d.drainMs, 100),
    out: values.out ?? null,
    profileDir: values['profile-dir'] ?? null,
    ackReplicas: int('ack-replicas', 0, 0, 4),
    batchFrames: values['batch-frames'] === true,
    redisSlots: slotSplit(values['redis-slots']),
    parleyEnv: parseEnv(values['parley-env'] ?? []),
    bigRoom: {
      sockets: int('s1-sockets', d.bigRoom.sockets, 2),
      publishers: int('s1-publishers', d.bigRoom.publishers),
      startRate: num('s1-start-rate', d.bigRoom.startRate, 0.1),
      factor: num('s1-factor', d.bigRoom.factor, 1.01),
      stepSeconds: num('s1-step-seconds', d.bigRoom.stepSeconds, 0.5),
      maxRate: num('s1-max-rate', d.bigRoom.maxRate, 0.1),
      maxSteps: int('s1-max-steps', d.bigRoom.maxSteps),
      p99LimitMs: num('p99-limit-ms', d.bigRoom.p99LimitMs, 1),
    },
    smallRooms: {
      rooms: int('s2-rooms', d.smallRooms.rooms),
      roomSize: int('s2-room-size', d.smallRooms.roomSize, 2),
      rates: ladder(values['s2-rates'], values['s2-rate'], d.smallRooms.rates),
      seconds: num('s2-seconds', d.smallRooms.seconds, 0.5),
      p99LimitMs: num('s2-p99-limit-ms', d.smallRooms.p99LimitMs, 1),
    },
    idle: {
      perGateway: int('s3-per-gateway', d.idle.perGateway),
      perProcess: int('s3-per-process', d.idle.perProcess, 1, 19_000),
      holdSeconds: num('s3-hold-seconds', d.idle.holdSeconds, 0),
      concurrency: int('s3-concurrency', d.idle.concurrency),
      stopAfterFailures: d.idle.stopAfterFailures,
    },
    storm: {
      sockets: int('s4-sockets', d.storm.sockets),
      concurrency: int('s4-concurrency', d.storm.concurrency),
    },
    drain: {
      messages: int('s6-messages', d.drain.messages),
      publishers: int('s6-publishers', d.drain.publishers),
      fillRate: num('s6-fill-rate', d.drain.fillRate, 1),
      maxDrainSeconds: num('s6-max-drain-seconds', d.drain.maxDrainSeconds, 1),
    },
  };
  if (options.bigRoom.publishers > options.bigRoom.sockets) {
    throw new UsageError(`--s1-publishers (${options.bigRoom.publishers}) cannot exceed --s1-sockets (${options.bigRoom.sockets})`);
  }
  return options;
}

function slotSplit(raw = 'partitions'): 'even' | 'partitions' {
  if (raw !== 'even' && raw !== 'partitions') throw new UsageError(`--redis-slots: expected partitions or even, got "${raw}"`);
  return raw;
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new UsageError(`--parley-env wants KEY=VALUE, got "${pair}"`);
    env[match[1]!] = match[2]!;
  }
  return env;
}
