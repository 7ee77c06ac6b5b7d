/**
 * Scenario 3: idle capacity. As many idle authenticated sockets as the
 * machine allows, aiming at `perGateway` on each socket-holding process.
 * Every process here may hold at most 20,000 open files, so the sockets are
 * spread over several generator child processes (at most `perProcess`
 * each), over both endpoints, and over several loopback source addresses
 * (one source address has about 28,000 ephemeral ports). Each socket is a
 * distinct user, a member of the global room only. A generator process
 * stops opening after a few failures (EMFILE, refused upgrades, …): those
 * mark the machine's limit.
 */
import { Generator, type GeneratorStats } from '../generator.js';
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

/**
 * Sockets opened and closed before "RSS before" is read, so one-time costs
 * (JIT, connection pools filling, first-use buffers) are not charged to the
 * measured sockets.
 */
const WARMUP_SOCKETS = 500;

/** What a bare uWebSockets.js process uses per idle socket on this machine (the reference figure). */
export const BARE_UWS_BYTES_PER_SOCKET = 1024;

export interface IdleResult {
  target: number;
  generatorProcesses: number;
  connect: ConnectSummary;
  /** Sockets still open after the hold. */
  held: number;
  rssPerSocket: RssPerSocket[];
  /** Mean over socket-holding processes, bytes per socket. */
  meanBytesPerSocket: number;
  /** meanBytesPerSocket / the bare-uWS reference. */
  timesBareUws: number;
  closesDuringHold: Record<string, number>;
  /** Server CPU while the sockets sit idle (pings, presence heartbeats); the generator's figures are for the hold too. */
  idleServer: ServerUsage;
  generator: GeneratorUsage & { bytesPerSocket: number };
}

export async function runIdle(ctx: ScenarioContext): Promise<IdleResult> {
  const o = ctx.options.idle;
  const { server } = ctx;
  const target = o.perGateway * server.endpoints.length;
  const processes = Math.ceil(target / o.perProcess);
  const warmup = Math.min(WARMUP_SOCKETS, target);
  ctx.progress(`preparing ${target + warmup} users`);
  const workload = await server.prepare(
    target + warmup,
    0,
    Array.from({ length: target + warmup }, () => []),
  );
  const gen = await Generator.start({ kind: ctx.kind, hosts: processes, mode: 'processes', payloadBytes: ctx.options.payloadBytes });
  try {
    const warm = { users: workload.users.slice(target), rooms: workload.rooms };
    ctx.progress(`warming up with ${warmup} sockets`);
    const warmPlans = socketPlans(warm, server.endpoints, gen.hostCount, ctx.addresses.take(warmup), () => [], () => undefined);
    await gen.connect(dealtTo(warmPlans, gen.hostCount), { concurrency: o.concurrency });
    await gen.closeSockets();
    await new Promise((r) => setTimeout(r, 1000));

    const main = { users: workload.users.slice(0, target), rooms: workload.rooms };
    const plans = socketPlans(main, server.endpoints, gen.hostCount, ctx.addresses.take(target), () => [], () => undefined);
    const rssBefore = socketHolderRss(server);
    ctx.progress(`opening ${target} idle sockets from ${processes} generator processes`);
    const connected = await gen.connect(dealtTo(plans, gen.hostCount), { concurrency: o.concurrency, stopAfterFailures: o.stopAfterFailures });
    ctx.progress(`${connected.ok} open, ${connected.failed} failed ${JSON.stringify(connected.failures)}; holding ${o.holdSeconds} s`);
    const beforeHold = await gen.stats(false);
    const usage = new UsageWindow(measuredProcesses(ctx));
    await new Promise((r) => setTimeout(r, o.holdSeconds * 1000));
    const window = usage.stop();
    const after: GeneratorStats = await gen.stats(false);
    const rss = rssPerSocket(server, rssBefore, socketHolderRss(server), connected.okByEndpoint);
    const measured = rss.filter((r) => r.sockets > 0);
    const meanBytesPerSocket = measured.length === 0 ? 0 : Math.round(measured.reduce((a, r) => a + r.bytesPerSocket, 0) / measured.length);
    await gen.closeSockets(60_000);
    return {
      target,
      generatorProcesses: processes,
      connect: connectOutcome(connected),
      held: after.open,
      rssPerSocket: rss,
      meanBytesPerSocket,
      timesBareUws: Math.round((meanBytesPerSocket / BARE_UWS_BYTES_PER_SOCKET) * 10) / 10,
      closesDuringHold: delta(after.closes, beforeHold.closes),
      idleServer: serverUsage(window, server),
      generator: {
        ...generatorUsage(beforeHold, after, Math.max(window.seconds, 0.001)),
        bytesPerSocket: after.open === 0 ? 0 : Math.round(after.rssBytes / after.open),
      },
    };
  } finally {
    await gen.stop();
  }
}
