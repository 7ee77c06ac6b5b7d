/**
 * Scenario 2: many small rooms. Each socket belongs to one room; the first
 * member of every room publishes, all at the same fixed aggregate rate
 * (open loop), for a fixed time.
 */
import { Generator } from '../generator.js';
import { connectOutcome, dealtTo, rssPerSocket, socketHolderRss, socketPlans, type ConnectSummary, type RssPerSocket, type ScenarioContext } from './common.js';
import { measurePublishing, type PublishWindow } from './window.js';
import { drainAndCount, hasPersistence, PersistenceWatch, type PersistenceResult } from './persistence.js';

export interface SmallRoomsResult extends PublishWindow {
  rooms: number;
  roomSize: number;
  sockets: number;
  /** Aggregate messages/s offered. */
  offeredRate: number;
  connect: ConnectSummary;
  rssPerSocket: RssPerSocket[];
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
    ctx.progress(`publishing ${o.rate} msg/s over ${o.rooms} rooms for ${o.seconds} s`);
    const { window, persistence: persistenceWindow } = await measurePublishing(ctx, gen, o.rate / o.rooms, o.seconds * 1000, watch);
    let persistence: PersistenceResult | null = null;
    if (hasPersistence(server) && persistenceWindow) {
      const drained = await drainAndCount(server.persistence, window.acked, 60_000);
      persistence = { steps: [{ ...persistenceWindow, offeredRate: o.rate }], peakWritesPerSecond: persistenceWindow.writesPerSecond, ...drained };
    }
    await gen.closeSockets();
    return {
      rooms: o.rooms,
      roomSize: o.roomSize,
      sockets,
      offeredRate: o.rate,
      connect: connectOutcome(connected),
      rssPerSocket: rss,
      ...window,
      persistence,
    };
  } finally {
    await gen.stop();
  }
}
