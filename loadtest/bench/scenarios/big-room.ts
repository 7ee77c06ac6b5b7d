/**
 * Scenario 1: one big room. Every socket is a member; a few of them publish
 * (open loop) at an aggregate rate that steps up by a factor until p99
 * passes the limit, a message is lost, an error or close appears, or the
 * configured maximum is reached. The highest sustained delivery rate is the
 * best step that passed. On parley, scenario 5 (worker write rate and lag)
 * is measured during the same steps.
 */
import { Generator } from '../generator.js';
import {
  connectOutcome,
  dealtTo,
  rssPerSocket,
  socketHolderRss,
  socketPlans,
  type ConnectSummary,
  type RssPerSocket,
  type ScenarioContext,
} from './common.js';
import { measurePublishing, type PublishWindow } from './window.js';
import { drainAndCount, hasPersistence, PersistenceWatch, type PersistenceResult } from './persistence.js';
import { stepFailures } from './verdict.js';

export interface BigRoomStep extends PublishWindow {
  step: number;
  /** Aggregate messages/s offered. */
  offeredRate: number;
  passed: boolean;
  /** Why the step failed (empty when it passed). */
  failedBecause: string[];
}

export interface BigRoomResult {
  sockets: number;
  publishers: number;
  connect: ConnectSummary;
  rssPerSocket: RssPerSocket[];
  steps: BigRoomStep[];
  /** Deliveries/s of the best step that passed; 0 if none did. */
  highestSustainedDeliveriesPerSecond: number;
  highestSustainedRate: number;
  /** The best step's generator was saturated: the target may sustain more than this machine could offer. */
  highestSustainedGeneratorBound: boolean;
  /** Why stepping stopped. */
  stoppedBecause: string;
  persistence: PersistenceResult | null;
}

export async function runBigRoom(ctx: ScenarioContext): Promise<BigRoomResult> {
  const o = ctx.options.bigRoom;
  const { server } = ctx;
  const membership = Array.from({ length: o.sockets }, () => [0]);
  ctx.progress(`preparing ${o.sockets} users in one room`);
  const workload = await server.prepare(o.sockets, 1, membership);
  const room = workload.rooms[0]!;
  const gen = await Generator.start({ kind: ctx.kind, hosts: ctx.options.threads, mode: 'threads', payloadBytes: ctx.options.payloadBytes });
  try {
    const plans = socketPlans(workload, server.endpoints, gen.hostCount, ctx.addresses.take(o.sockets), () => [room], (i) =>
      i < o.publishers ? { id: i, room, fanout: o.sockets } : undefined,
    );
    const rssBefore = socketHolderRss(server);
    ctx.progress(`connecting ${o.sockets} sockets`);
    const connected = await gen.connect(dealtTo(plans, gen.hostCount), { concurrency: ctx.options.connectConcurrency });
    const connect = connectOutcome(connected);
    if (connected.failed > 0) throw new Error(`scenario 1: ${connected.failed} of ${o.sockets} sockets failed to connect: ${JSON.stringify(connected.failures)}`);
    await new Promise((r) => setTimeout(r, 1000));
    const rss = rssPerSocket(server, rssBefore, socketHolderRss(server), connected.okByEndpoint);

    const watch = hasPersistence(server) ? new PersistenceWatch(server.persistence) : null;
    const persistenceSteps: PersistenceResult['steps'] = [];
    const steps: BigRoomStep[] = [];
    let stoppedBecause = `reached ${o.maxSteps} steps`;
    let rate = o.startRate;
    for (let step = 1; step <= o.maxSteps; step++) {
      ctx.progress(`step ${step}: ${rate.toFixed(1)} msg/s × ${o.sockets} sockets for ${o.stepSeconds} s`);
      const { window, persistence } = await measurePublishing(ctx, gen, rate / o.publishers, o.stepSeconds * 1000, watch);
      if (persistence) persistenceSteps.push({ ...persistence, offeredRate: rate });
      const failedBecause = stepFailures(window, { p99LimitMs: o.p99LimitMs, failAtLimit: false, drainMs: ctx.options.drainMs });
      steps.push({ step, offeredRate: Math.round(rate * 100) / 100, ...window, passed: failedBecause.length === 0, failedBecause });
      if (failedBecause.length > 0) {
        stoppedBecause = `step ${step}: ${failedBecause.join('; ')}`;
        break;
      }
      if (rate >= o.maxRate) {
        stoppedBecause = `reached the maximum rate ${o.maxRate} msg/s`;
        break;
      }
      rate = Math.min(rate * o.factor, o.maxRate);
    }

    let persistence: PersistenceResult | null = null;
    if (hasPersistence(server)) {
      const acked = steps.reduce((a, s) => a + s.acked, 0);
      const drained = await drainAndCount(server.persistence, acked, 60_000);
      persistence = { steps: persistenceSteps, peakWritesPerSecond: Math.max(0, ...persistenceSteps.map((s) => s.writesPerSecond)), ...drained };
    }
    const best = steps.filter((s) => s.passed).sort((a, b) => b.deliveriesPerSecond - a.deliveriesPerSecond)[0];
    await gen.closeSockets();
    return {
      sockets: o.sockets,
      publishers: o.publishers,
      connect,
      rssPerSocket: rss,
      steps,
      highestSustainedDeliveriesPerSecond: best?.deliveriesPerSecond ?? 0,
      highestSustainedRate: best?.offeredRate ?? 0,
      highestSustainedGeneratorBound: best?.generator.saturated ?? false,
      stoppedBecause,
      persistence,
    };
  } finally {
    await gen.stop();
  }
}
