/**
 * One benchmark run: every selected scenario on every target it applies to,
 * each on a freshly started target (fresh database, Redis prefix and
 * processes, so one scenario's memory and backlog never colour the next).
 * A scenario that throws is recorded and the run goes on.
 *
 * Which targets a scenario runs on: 1, 2 and 4 on all (baselines are the
 * point of comparison; a baseline socket connects without authentication, so
 * scenario 4 there is the floor of a connect); 3 on parley and the relay
 * (idle RSS per socket against a bare uWS server); 5 and 6 on parley only
 * (they measure parley's persistence). Scenario 2 also runs on parley on a
 * Redis Cluster of its own with 1 and with 3 primaries (`parley-cluster1`,
 * `parley-cluster3`): the spread of the publish path over shards. Scenarios
 * 1, 2 and 4 also run on parley through its Socket.IO transport
 * (`parley-socketio`): the transport's cost against `/v1/ws` and against
 * the Socket.IO baseline.
 */
import { resolve } from 'node:path';
import { describeMachine, localRedisPid, type MachineInfo } from './machine.js';
import { BENCH_ENV } from './settings.js';
import type { BenchOptions, ScenarioId } from './options.js';
import { availability } from './registry.js';
import type { TargetKind, TargetServer } from './target.js';
import { SourceAddresses, type ScenarioContext } from './scenarios/common.js';
import { runBigRoom, type BigRoomResult } from './scenarios/big-room.js';
import { runSmallRooms, type SmallRoomsResult } from './scenarios/small-rooms.js';
import { runIdle, type IdleResult } from './scenarios/idle.js';
import { runStorm, type StormResult } from './scenarios/storm.js';
import { runDrain, type DrainResult } from './scenarios/drain.js';
import { ratios, type Ratios } from './ratios.js';
import type { TargetStartOptions } from './registry.js';

export interface TargetResults {
  available: boolean;
  /** Why the target could not run (module missing, …). */
  unavailableBecause?: string;
  bigRoom?: BigRoomResult;
  smallRooms?: SmallRoomsResult;
  idle?: IdleResult;
  storm?: StormResult;
  drain?: DrainResult;
  /** Scenario → error message, for scenarios that failed to run. */
  failed: Partial<Record<ScenarioId, string>>;
}

export type { Ratios };

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  options: BenchOptions;
  /** The environment every target ran with. */
  settings: Record<string, string>;
  results: Partial<Record<TargetKind, TargetResults>>;
  ratios: Ratios;
}

type Runner = (ctx: ScenarioContext, results: TargetResults) => Promise<void>;

interface ScenarioPlan {
  id: ScenarioId;
  name: string;
  targets: readonly TargetKind[];
  run: Runner;
  /** How the scenario needs its target started, beyond the run's environment. */
  start?: (options: BenchOptions) => Omit<TargetStartOptions, 'env'> & { env?: Record<string, string> };
}

const PLANS: ScenarioPlan[] = [
  {
    id: 1,
    name: 'one big room',
    targets: ['parley', 'parley-socketio', 'relay', 'socketio'],
    run: async (ctx, r) => void (r.bigRoom = await runBigRoom(ctx)),
  },
  {
    id: 2,
    name: 'many small rooms',
    targets: ['parley', 'parley-socketio', 'parley-cluster1', 'parley-cluster3', 'relay', 'socketio'],
    run: async (ctx, r) => void (r.smallRooms = await runSmallRooms(ctx)),
  },
  {
    id: 3,
    name: 'idle capacity',
    targets: ['parley', 'relay'],
    run: async (ctx, r) => void (r.idle = await runIdle(ctx)),
  },
  {
    id: 4,
    name: 'connect storm',
    targets: ['parley', 'parley-socketio', 'relay', 'socketio'],
    run: async (ctx, r) => void (r.storm = await runStorm(ctx)),
  },
  {
    id: 6,
    name: 'worker drain',
    targets: ['parley'],
    run: async (ctx, r) => void (r.drain = await runDrain(ctx)),
    // No worker until the backlog is built; the gateways refuse publishes past
    // PERSIST_MAX_BACKLOG (per partition), so it is set above the whole backlog.
    start: (o) => ({ deferWorker: true, env: { PERSIST_MAX_BACKLOG: String(Math.max(1_000_000, 2 * o.drain.messages)) } }),
  },
];

/** Scenario 5 is measured inside scenario 1: asking for 5 alone runs 1 on parley. */
function scenarioTargets(plan: ScenarioPlan, options: BenchOptions): TargetKind[] {
  const wanted = options.scenarios.includes(plan.id) || (plan.id === 1 && options.scenarios.includes(5));
  if (!wanted) return [];
  const targets = plan.id === 1 && !options.scenarios.includes(1) ? ['parley' as const] : plan.targets;
  return options.targets.filter((t) => targets.includes(t));
}

export async function runBench(options: BenchOptions, progress: (line: string) => void = () => undefined): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const machine = await describeMachine();
  const results: Partial<Record<TargetKind, TargetResults>> = {};
  const addresses = new SourceAddresses();
  const redisPid = await localRedisPid();
  const shared = redisPid === null ? [] : [{ name: 'redis', pid: redisPid }];

  for (const kind of options.targets) {
    const a = await availability(kind);
    results[kind] = a.available ? { available: true, failed: {} } : { available: false, unavailableBecause: a.reason, failed: {} };
    if (!a.available) progress(`${kind}: not available (${a.reason})`);
  }

  for (const plan of PLANS) {
    for (const kind of scenarioTargets(plan, options)) {
      const r = results[kind]!;
      if (!r.available) continue;
      const loaded = await availability(kind);
      if (!loaded.available) continue;
      const say = (line: string) => progress(`[scenario ${plan.id} ${plan.name} · ${kind}] ${line}`);
      say('starting the target');
      let server: TargetServer;
      try {
        const profiling: Record<string, string> = options.profileDir
          ? { NODE_OPTIONS: `--import=${new URL('./cpu-profile.js', import.meta.url).href}`, BENCH_PROFILE_DIR: resolve(options.profileDir) }
          : {};
        // Replicas are set up for parley on the shared Redis only (either transport); the cluster targets' primaries have none.
        const withReplicas = kind === 'parley' || kind === 'parley-socketio';
        const durability: Record<string, string> = options.ackReplicas > 0 && withReplicas ? { REDIS_ACK_REPLICAS: String(options.ackReplicas) } : {};
        const { env: scenarioEnv, ...startOptions } = plan.start?.(options) ?? {};
        const parleyOnly: Record<string, string> = kind.startsWith('parley') ? options.parleyEnv : {};
        server = await loaded.value.start({
          ...startOptions,
          batchFrames: options.batchFrames,
          redisSlots: options.redisSlots,
          env: { ...BENCH_ENV, ...profiling, ...durability, ...scenarioEnv, ...parleyOnly },
        });
      } catch (err) {
        r.failed[plan.id] = `could not start the target: ${err instanceof Error ? err.message : String(err)}`;
        say(r.failed[plan.id]!);
        continue;
      }
      try {
        await plan.run({ kind, server, shared, options, addresses, progress: say }, r);
        say('done');
      } catch (err) {
        r.failed[plan.id] = err instanceof Error ? (err.stack ?? err.message) : String(err);
        say(`failed: ${r.failed[plan.id]}`);
      } finally {
        await server.stop().catch((err: unknown) => say(`stopping the target failed: ${String(err)}`));
      }
    }
  }
  return { startedAt, finishedAt: new Date().toISOString(), machine, options, settings: { ...BENCH_ENV }, results, ratios: ratios(results) };
}
