/**
 * parley ÷ baseline for the figures the comparison is about. A ratio is null
 * when either side is missing or the baseline's figure is not positive (an
 * RSS growth lost in the noise can be ≤ 0; a ladder none of whose steps passed
 * sustains 0 msg/s).
 *
 * The same figures for parley through its Socket.IO transport
 * (`parley-socketio`): against `parley` (what the transport costs on the same
 * server) and against the two baselines.
 */
import type { TargetResults } from './run.js';
import type { SmallRoomsResult, SmallRoomsStep } from './scenarios/small-rooms.js';
import type { TargetKind } from './target.js';

type PerBaseline = Partial<Record<TargetKind, number | null>>;

/** One target ÷ one baseline. */
export interface RatioSet {
  bigRoomSustainedDeliveries: number | null;
  /** Scenario 2: highest rate sustained with p99 under the limit and no loss. */
  smallRoomsSustainedRate: number | null;
  smallRoomsP50: number | null;
  smallRoomsP99: number | null;
  /** Server CPU with Postgres for parley (gateways, api, worker, Redis, Postgres) against the baseline's processes and Redis. */
  smallRoomsServerCpu: number | null;
  smallRoomsAckP99: number | null;
  idleBytesPerSocket: number | null;
  stormConnectsPerSecond: number | null;
}

export interface Ratios {
  bigRoomSustainedDeliveries: PerBaseline;
  /** Scenario 2: highest rate sustained with p99 under the limit and no loss. */
  smallRoomsSustainedRate: PerBaseline;
  /** Scenario 2, the ladder's first rate (1,000 msg/s by default), on both sides. */
  smallRoomsFirstRate: number | null;
  smallRoomsP50: PerBaseline;
  smallRoomsP99: PerBaseline;
  /** Server CPU with Postgres for parley (gateways, api, worker, Redis, Postgres) against the baseline's processes and Redis. */
  smallRoomsServerCpu: PerBaseline;
  smallRoomsAckP99: PerBaseline;
  idleBytesPerSocket: PerBaseline;
  stormConnectsPerSecond: PerBaseline;
  /** parley-socketio ÷ parley, ÷ socketio and ÷ relay, for those that ran with it. */
  socketIoTransport: Partial<Record<TargetKind, RatioSet>>;
}

/** What `parley-socketio` is compared with, in the report's order. */
export const SOCKETIO_TRANSPORT_BASELINES = ['parley', 'socketio', 'relay'] as const;

export const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || !(b > 0) ? null : Math.round((a / b) * 100) / 100;

/** The step at `rate`, when the ladder ran it. */
const stepAt = (s: SmallRoomsResult | undefined, rate: number | null): SmallRoomsStep | undefined =>
  rate === null ? undefined : s?.steps.find((x) => x.offeredRate === rate);

function ratioSet(p: TargetResults, r: TargetResults, firstRate: number | null): RatioSet {
  const ps = stepAt(p.smallRooms, firstRate);
  const bs = stepAt(r.smallRooms, firstRate);
  return {
    bigRoomSustainedDeliveries: ratio(p.bigRoom?.highestSustainedDeliveriesPerSecond, r.bigRoom?.highestSustainedDeliveriesPerSecond),
    smallRoomsSustainedRate: ratio(p.smallRooms?.highestSustainedRate, r.smallRooms?.highestSustainedRate),
    smallRoomsP50: ratio(ps?.latency.p50Ms, bs?.latency.p50Ms),
    smallRoomsP99: ratio(ps?.latency.p99Ms, bs?.latency.p99Ms),
    smallRoomsServerCpu: ratio(ps?.server.serverCpuPercent, bs?.server.serverCpuPercent),
    smallRoomsAckP99: ratio(ps?.ackLatency.p99Ms, bs?.ackLatency.p99Ms),
    idleBytesPerSocket: ratio(p.idle?.meanBytesPerSocket, r.idle?.meanBytesPerSocket),
    stormConnectsPerSecond: ratio(p.storm?.connect.ratePerSecond, r.storm?.connect.ratePerSecond),
  };
}

export function ratios(results: Partial<Record<TargetKind, TargetResults>>): Ratios {
  // Every target of a run climbs the same ladder: its first rate, from whichever parley ran.
  const firstRate = (results.parley ?? results['parley-socketio'])?.smallRooms?.steps[0]?.offeredRate ?? null;
  const out: Ratios = {
    bigRoomSustainedDeliveries: {},
    smallRoomsSustainedRate: {},
    smallRoomsFirstRate: firstRate,
    smallRoomsP50: {},
    smallRoomsP99: {},
    smallRoomsServerCpu: {},
    smallRoomsAckP99: {},
    idleBytesPerSocket: {},
    stormConnectsPerSecond: {},
    socketIoTransport: {},
  };
  const p = results.parley;
  for (const b of ['relay', 'socketio'] as const) {
    const r = results[b];
    if (!p || !r) continue;
    const set = ratioSet(p, r, firstRate);
    for (const key of Object.keys(set) as (keyof RatioSet)[]) out[key][b] = set[key];
  }
  const s = results['parley-socketio'];
  for (const b of SOCKETIO_TRANSPORT_BASELINES) {
    const r = results[b];
    if (s && r) out.socketIoTransport[b] = ratioSet(s, r, firstRate);
  }
  return out;
}
