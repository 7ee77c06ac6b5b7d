/**
 * Scenario 4: connect storm. Opens `sockets` sockets as fast as a bounded
 * number of upgrades in flight allows, across the generator threads; a
 * socket counts once it is ready (parley: `welcome`, sent after the token
 * was verified, the rooms read and their subscriptions live). Each socket is
 * a distinct user, a member of the global room and of one room of ten.
 */
import { Generator } from '../generator.js';
import { UsageWindow } from '../proc.js';
import { connectOutcome, dealtTo, generatorUsage, measuredProcesses, serverUsage, socketPlans, type ConnectSummary, type GeneratorUsage, type ScenarioContext, type ServerUsage } from './common.js';

export interface StormResult {
  sockets: number;
  concurrency: number;
  connect: ConnectSummary;
  server: ServerUsage;
  generator: GeneratorUsage;
}

const ROOM_SIZE = 10;

export async function runStorm(ctx: ScenarioContext): Promise<StormResult> {
  const o = ctx.options.storm;
  const { server } = ctx;
  const rooms = Math.ceil(o.sockets / ROOM_SIZE);
  const roomOf = (u: number) => Math.floor(u / ROOM_SIZE);
  ctx.progress(`preparing ${o.sockets} users in ${rooms} rooms of ${ROOM_SIZE}`);
  const workload = await server.prepare(
    o.sockets,
    rooms,
    Array.from({ length: o.sockets }, (_, u) => [roomOf(u)]),
  );
  const gen = await Generator.start({ kind: ctx.kind, hosts: ctx.options.threads, mode: 'threads', payloadBytes: ctx.options.payloadBytes });
  try {
    const plans = socketPlans(workload, server.endpoints, gen.hostCount, ctx.addresses.take(o.sockets), (u) => [workload.rooms[roomOf(u)]!], () => undefined);
    const before = await gen.stats(true);
    const usage = new UsageWindow(measuredProcesses(ctx));
    ctx.progress(`connect storm: ${o.sockets} sockets, ${o.concurrency} in flight`);
    const connected = await gen.connect(dealtTo(plans, gen.hostCount), { concurrency: o.concurrency });
    const window = usage.stop();
    const after = await gen.stats(false);
    await gen.closeSockets();
    return {
      sockets: o.sockets,
      concurrency: o.concurrency,
      connect: connectOutcome(connected),
      server: serverUsage(window, server),
      generator: generatorUsage(before, after, window.seconds),
    };
  } finally {
    await gen.stop();
  }
}
