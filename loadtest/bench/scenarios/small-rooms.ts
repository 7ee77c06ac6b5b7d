/**
 * Scenario 2: many small rooms, as a rate ladder. Each socket belongs to one
 * room; the first member of every room publishes (open loop), and the
 * aggregate rate climbs through `rates`, each step for `seconds`, on the same
 * connected sockets. Every step is measured on its own (deliveries, latency,
 * acks, loss, errors, server and generator CPU); climbing stops after a step
 * fails (see verdict.ts: p99 at or above the limit, loss, errors or closes).
 * The highest sustained rate is the highest step that passed.
 *
 * Before the first step every publisher sends a few messages (a warm-up,
 * not measured): in a running system rooms have published before, and a
 * room's very first message costs parley a seeding of its counter from
 * Postgres (one round trip), which with every room new at once would make
 * the first step measure 1,000 seedings instead of the steady state.
 *
 * On parley, scenario 5 is measured during every step, and the worker's
 * backlog is left to drain between steps, so a step's CPU and latency do not
 * include the previous step's persistence catching up.
 */
import { Generator } from '../generator.js';
import { connectOutcome, dealtTo, rssPerSocket, socketHolderRss, socketPlans, type ConnectSummary, type RssPerSocket, type ScenarioContext } from './common.js';
import { measurePublishing, type PublishWindow } from './window.js';
import { drainAndCount, hasPersistence, PersistenceWatch, waitForDrain, type PersistenceResult } from './persistence.js';
import { stepFailures } from './verdict.js';

export interface SmallRoomsStep extends PublishWindow {
  step: number;
  /** Aggregate messages/s offered. */
  offeredRate: number;
  passed: boolean;
  /** Why the step failed (empty when it passed). */
  failedBecause: string[];
  /** parley: ms the worker took to empty its backlog after the step (null: not within the bound). */
  persistDrainMs?: number | null;
}

export interface SmallRoomsResult {
  rooms: number;
  roomSize: number;
  sockets: number;
  /** One per room (its first member). */
  publishers: number;
  p99LimitMs: number;
  connect: ConnectSummary;
  rssPerSocket: RssPerSocket[];
  steps: SmallRoomsStep[];
  /** Offered msg/s of the highest step that passed; 0 if none did. */
  highestSustainedRate: number;
  highestSustainedDeliveriesPerSecond: number;
  /** The highest passing step was gen-bound: the target may sustain more than this machine could offer. */
  highestSustainedGeneratorBound: boolean;
  /** Why climbing stopped. */
  stoppedBecause: string;
  /** parley: worker write rate and lag per step (scenario 5's figures at these message rates). */
  persistence: PersistenceResult | null;
}

/** The warm-up: this many messages per publisher, over this long. */
const WARM_UP_MESSAGES = 2;
const WARM_UP_MS = 2_000;

/** Bound on waiting for the worker's backlog between steps and at the end. */
const PERSIST_DRAIN_MAX_MS = 60_000;

export async function runSmallRooms(ctx: ScenarioContext): Promise<SmallRoomsResult> {
  const o = ctx.options.smallRooms;
  const { server } = ctx;
  const sockets = o.rooms * o.roomSize;
  const roomOf = (user: number) => Math.floor(user / o.roomSize);
  ctx.progress(`preparing ${sockets} users in ${o.rooms} rooms of ${o.roomSize}`);
  const workload = await server.prepare(
    sockets,
    o.rooms,
    Array.from({ length: sockets }, (_, u) => [roomOf(u)]),
  );
  const gen = await Generator.start({ kind: ctx.kind, hosts: ctx.options.threads, mode: 'threads', payloadBytes: ctx.options.payloadBytes });
  try {
    const plans = socketPlans(
      workload,
      server.endpoints,
      gen.hostCount,
      ctx.addresses.take(sockets),
      (u) => [workload.rooms[roomOf(u)]!],
      (u) => (u % o.roomSize === 0 ? { id: roomOf(u), room: workload.rooms[roomOf(u)]!, fanout: o.roomSize } : undefined),
    );
    const rssBefore = socketHolderRss(server);
    ctx.progress(`connecting ${sockets} sockets`);
    const connected = await gen.connect(dealtTo(plans, gen.hostCount), { concurrency: ctx.options.connectConcurrency });
    if (connected.failed > 0) throw new Error(`scenario 2: ${connected.failed} of ${sockets} sockets failed to connect: ${JSON.stringify(connected.failures)}`);
    // Presence events of the connect phase settle before measuring.
    await new Promise((r) => setTimeout(r, 1000));
    const rss = rssPerSocket(server, rssBefore, socketHolderRss(server), connected.okByEndpoint);

    ctx.progress(`warm-up: every publisher sends ${WARM_UP_MESSAGES} messages, not measured`);
    const warmUp = await measurePublishing(ctx, gen, WARM_UP_MESSAGES / (WARM_UP_MS / 1000), WARM_UP_MS, null);
    const probe = hasPersistence(server) ? server.persistence : null;
    if (probe) await waitForDrain(probe, PERSIST_DRAIN_MAX_MS);
    const watch = probe ? new PersistenceWatch(probe) : null;
    const persistenceSteps: PersistenceResult['steps'] = [];
    const steps: SmallRoomsStep[] = [];
    let stoppedBecause = `ran every rate (${o.rates.join(', ')} msg/s)`;
    for (const [i, rate] of o.rates.entries()) {
      const step = i + 1;
      ctx.progress(`step ${step}: ${rate} msg/s over ${o.rooms} rooms (${rate / o.rooms} msg/s per publisher) for ${o.seconds} s`);
      const { window, persistence } = await measurePublishing(ctx, gen, rate / o.rooms, o.seconds * 1000, watch);
      if (persistence) persistenceSteps.push({ ...persistence, offeredRate: rate });
      const failedBecause = stepFailures(window, { p99LimitMs: o.p99LimitMs, failAtLimit: true, drainMs: ctx.options.drainMs });
      const result: SmallRoomsStep = { step, offeredRate: rate, ...window, passed: failedBecause.length === 0, failedBecause };
      if (probe) result.persistDrainMs = (await waitForDrain(probe, PERSIST_DRAIN_MAX_MS)).drainMs;
      steps.push(result);
      if (failedBecause.length > 0) {
        stoppedBecause = `step ${step} (${rate} msg/s): ${failedBecause.join('; ')}`;
        break;
      }
    }

    let persistence: PersistenceResult | null = null;
    if (probe) {
      const acked = warmUp.window.acked + steps.reduce((a, s) => a + s.acked, 0);
      const drained = await drainAndCount(probe, acked, PERSIST_DRAIN_MAX_MS);
      persistence = { steps: persistenceSteps, peakWritesPerSecond: Math.max(0, ...persistenceSteps.map((s) => s.writesPerSecond)), ...drained };
    }
    const best = steps.filter((s) => s.passed).sort((a, b) => b.offeredRate - a.offeredRate)[0];
    await gen.closeSockets();
    return {
      rooms: o.rooms,
      roomSize: o.roomSize,
      sockets,
      publishers: o.rooms,
      p99LimitMs: o.p99LimitMs,
      connect: connectOutcome(connected),
      rssPerSocket: rss,
      steps,
      highestSustainedRate: best?.offeredRate ?? 0,
      highestSustainedDeliveriesPerSecond: best?.deliveriesPerSecond ?? 0,
      highestSustainedGeneratorBound: best?.generator.saturated ?? false,
      stoppedBecause,
      persistence,
    };
  } finally {
    await gen.stop();
  }
}
