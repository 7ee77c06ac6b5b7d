/**
 * Scenario 2: many small rooms. Each socket belongs to one room; the first
 * member of every room publishes, all at the same fixed aggregate rate
 * (open loop), for a fixed time.
 */
import { Generator } from '../generator.js';
import type { LatencySummary } from '../histogram.js';
import type { LossReport } from '../loss.js';
import { UsageWindow } from '../proc.js';
import {
  connectOutcome,
  dealtTo,
  delta,
  generatorUsage,
  measuredProcesses,
  rssPerSocket,
  serverUsage,
  socketHolderRss,
  socketPlans,
  type ConnectSummary,
  type GeneratorUsage,
  type RssPerSocket,
  type ScenarioContext,
  type ServerUsage,
} from './common.js';
import { drainAndCount, hasPersistence, PersistenceWatch, type PersistenceResult } from './persistence.js';

export interface SmallRoomsResult {
  rooms: number;
  roomSize: number;
  sockets: number;
  /** Aggregate messages/s offered. */
  offeredRate: number;
  seconds: number;
  connect: ConnectSummary;
  rssPerSocket: RssPerSocket[];
  published: number;
  acked: number;
  deliveriesPerSecond: number;
  latency: LatencySummary;
  ackLatency: LatencySummary;
  loss: LossReport;
  duplicates: number;
  errors: Record<string, number>;
  closes: Record<string, number>;
  settled: boolean;
  server: ServerUsage;
  generator: GeneratorUsage;
  /** parley: worker write rate and lag at this publish rate (scenario 5's figures under a higher message rate). */
  persistence: PersistenceResult | null;
}

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

    const watch = hasPersistence(server) ? new PersistenceWatch(server.persistence) : null;
    const before = await gen.stats(true);
    await watch?.start();
    const usage = new UsageWindow(measuredProcesses(ctx));
    const started = performance.now();
    ctx.progress(`publishing ${o.rate} msg/s over ${o.rooms} rooms for ${o.seconds} s`);
    await gen.publish(o.rate / o.rooms, o.seconds * 1000);
    const seconds = (performance.now() - started) / 1000;
    const atEnd = await gen.stats(false);
    const window = usage.stop();
    const persistenceWindow = await watch?.stop();
    const { stats, settled } = await gen.settle({ quietMs: Math.min(2000, ctx.options.drainMs), maxMs: ctx.options.drainMs });
    const loss = await gen.account();
    const final = await gen.stats(true);
    const acked = final.acked - before.acked;
    let persistence: PersistenceResult | null = null;
    if (hasPersistence(server) && persistenceWindow) {
      const drained = await drainAndCount(server.persistence, acked, 60_000);
      persistence = { steps: [{ ...persistenceWindow, offeredRate: o.rate }], peakWritesPerSecond: persistenceWindow.writesPerSecond, ...drained };
    }
    await gen.closeSockets();
    return {
      rooms: o.rooms,
      roomSize: o.roomSize,
      sockets,
      offeredRate: o.rate,
      seconds: Math.round(seconds * 100) / 100,
      connect: connectOutcome(connected),
      rssPerSocket: rss,
      published: final.published - before.published,
      acked,
      deliveriesPerSecond: Math.round((atEnd.deliveries - before.deliveries) / seconds),
      latency: stats.latency.summary(),
      ackLatency: stats.ackLatency.summary(),
      loss,
      duplicates: final.duplicates - before.duplicates,
      errors: delta(final.errors, before.errors),
      closes: delta(final.closes, before.closes),
      settled,
      server: serverUsage(window),
      generator: generatorUsage(before, atEnd, seconds),
      persistence,
    };
  } finally {
    await gen.stop();
  }
}
