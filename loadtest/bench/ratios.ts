/**
 * parley ÷ baseline for the figures the comparison is about. A ratio is null
 * when either side is missing or the baseline's figure is not positive (an
 * RSS growth lost in the noise can be ≤ 0; a ladder none of whose steps passed
 * sustains 0 msg/s).
 */
import type { TargetResults } from './run.js';
import type { SmallRoomsResult, SmallRoomsStep } from './scenarios/small-rooms.js';
import type { TargetKind } from './target.js';

type PerBaseline = Partial<Record<TargetKind, number | null>>;

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
}

export const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || !(b > 0) ? null : Math.round((a / b) * 100) / 100;

/** The step at `rate`, when the ladder ran it. */
const stepAt = (s: SmallRoomsResult | undefined, rate: number | null): SmallRoomsStep | undefined =>
  rate === null ? undefined : s?.steps.find((x) => x.offeredRate === rate);

export function ratios(results: Partial<Record<TargetKind, TargetResults>>): Ratios {
  const out: Ratios = {
    bigRoomSustainedDeliveries: {},
    smallRoomsSustainedRate: {},
    smallRoomsFirstRate: results.parley?.smallRooms?.steps[0]?.offeredRate ?? null,
    smallRoomsP50: {},
    smallRoomsP99: {},
    smallRoomsServerCpu: {},
    smallRoomsAckP99: {},
    idleBytesPerSocket: {},
    stormConnectsPerSecond: {},
  };
  const p = results.parley;
  for (const b of ['relay', 'socketio'] as const) {
    const r = results[b];
    if (!p || !r) continue;
    out.bigRoomSustainedDeliveries[b] = ratio(p.bigRoom?.highestSustainedDeliveriesPerSecond, r.bigRoom?.highestSustainedDeliveriesPerSecond);
    out.smallRoomsSustainedRate[b] = ratio(p.smallRooms?.highestSustainedRate, r.smallRooms?.highestSustainedRate);
    const ps = stepAt(p.smallRooms, out.smallRoomsFirstRate);
    const bs = stepAt(r.smallRooms, out.smallRoomsFirstRate);
    out.smallRoomsP50[b] = ratio(ps?.latency.p50Ms, bs?.latency.p50Ms);
    out.smallRoomsP99[b] = ratio(ps?.latency.p99Ms, bs?.latency.p99Ms);
    out.smallRoomsServerCpu[b] = ratio(ps?.server.serverCpuPercent, bs?.server.serverCpuPercent);
    out.smallRoomsAckP99[b] = ratio(ps?.ackLatency.p99Ms, bs?.ackLatency.p99Ms);
    out.idleBytesPerSocket[b] = ratio(p.idle?.meanBytesPerSocket, r.idle?.meanBytesPerSocket);
    out.stormConnectsPerSecond[b] = ratio(p.storm?.connect.ratePerSecond, r.storm?.connect.ratePerSecond);
  }
  return out;
}
