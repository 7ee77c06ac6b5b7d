/** What every scenario needs: the target, options, source addresses, and a few shared measurements. */
import type { BenchOptions } from '../options.js';
import type { ConnectOutcome, GeneratorStats } from '../generator.js';
import type { LatencySummary } from '../histogram.js';
import { rssBytes, type Measured, type WindowUsage } from '../proc.js';
import type { ClientSpec, PreparedWorkload, TargetKind, TargetServer } from '../target.js';
import type { SocketPlan } from '../host-protocol.js';

export interface ScenarioContext {
  kind: TargetKind;
  server: TargetServer;
  /** Processes the target shares with others but whose load it causes (the local redis-server). */
  shared: Measured[];
  options: BenchOptions;
  addresses: SourceAddresses;
  /** Progress for the person watching; not part of the results. */
  progress: (line: string) => void;
}

/** The target's processes plus the shared ones it does not list itself (none when it runs on Redis of its own). */
export function measuredProcesses(ctx: Pick<ScenarioContext, 'server' | 'shared'>): Measured[] {
  const own = ctx.server.processes();
  if (ctx.server.ownRedis) return own;
  const names = new Set(own.map((p) => p.name));
  return [...own, ...ctx.shared.filter((p) => !names.has(p.name))];
}

/**
 * Loopback source addresses (127.0.0.2, 127.0.0.3, …), never handed out
 * twice in a run: a bound source address has about 28,000 ephemeral ports
 * (for every destination together), and ports of closed sockets linger in
 * TIME_WAIT, so each scenario takes fresh ones.
 */
export class SourceAddresses {
  private next = 2;

  /** Enough addresses for `sockets` at `perAddress` each. */
  take(sockets: number, perAddress = 10_000): string[] {
    const count = Math.max(1, Math.ceil(sockets / perAddress));
    return Array.from({ length: count }, () => {
      const n = this.next++;
      return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    });
  }
}

/**
 * One socket per user. Publishers and the other sockets are each dealt
 * round-robin over generator hosts (see `dealtTo`), and within each host
 * alternate over endpoints, so every host publishes and receives through
 * every endpoint whatever the users' numbering.
 */
export function socketPlans(
  workload: PreparedWorkload,
  endpoints: string[],
  hosts: number,
  addresses: string[],
  roomsOf: (user: number) => string[],
  publisherOf: (user: number) => SocketPlan['publisher'],
): SocketPlan[] {
  const counters = { publishers: 0, others: 0 };
  return workload.users.map((u, i) => {
    const publisher = publisherOf(i);
    const k = publisher ? counters.publishers++ : counters.others++;
    const spec: ClientSpec = {
      user: u.user,
      rooms: roomsOf(i),
      endpoint: endpoints[Math.floor(k / hosts) % endpoints.length]!,
      localAddress: addresses[i % addresses.length]!,
    };
    if (u.token !== undefined) spec.token = u.token;
    return publisher ? { spec, publisher } : { spec };
  });
}

/** Host shares for `plans`: publishers round-robin among themselves, the other sockets likewise. */
export function dealtTo(plans: SocketPlan[], hosts: number): SocketPlan[][] {
  const shares: SocketPlan[][] = Array.from({ length: hosts }, () => []);
  const counters = { publishers: 0, others: 0 };
  for (const plan of plans) shares[(plan.publisher ? counters.publishers++ : counters.others++) % hosts]!.push(plan);
  return shares;
}

/** RSS of every socket-holding process, by name. */
export function socketHolderRss(server: TargetServer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of server.processes()) if (p.holdsSockets) out[p.name] = rssBytes(p.pid) ?? 0;
  return out;
}

export interface RssPerSocket {
  process: string;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  sockets: number;
  /** (after − before) / sockets. */
  bytesPerSocket: number;
}

/**
 * RSS per socket per socket-holding process. Sockets are attributed by
 * endpoint: the i-th socket-holding process serves the i-th endpoint (true of
 * parley's cluster, where each gateway has its own port).
 */
export function rssPerSocket(server: TargetServer, before: Record<string, number>, after: Record<string, number>, okByEndpoint: Record<string, number>): RssPerSocket[] {
  const holders = server.processes().filter((p) => p.holdsSockets);
  return holders.map((p, i) => {
    const sockets = okByEndpoint[server.endpoints[i] ?? ''] ?? 0;
    const rssBeforeBytes = before[p.name] ?? 0;
    const rssAfterBytes = after[p.name] ?? 0;
    return {
      process: p.name,
      rssBeforeBytes,
      rssAfterBytes,
      sockets,
      bytesPerSocket: sockets === 0 ? 0 : Math.round((rssAfterBytes - rssBeforeBytes) / sockets),
    };
  });
}

/** Counter growth between two stats snapshots, by key. */
export function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

export const sumValues = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

/** What the generator itself used over a window: it shares the machine with the servers. */
export interface GeneratorUsage {
  cpuPercent: number;
  rssBytes: number;
  /** Per host: event-loop utilisation; near 1 means the generator, not the server, limits the figures. */
  loopUtilisation: number[];
  /** Some host's loop was busy at least GENERATOR_BOUND of the time (or, while publishing, sends fell behind their schedule): the figures measure the generator as much as the target. */
  saturated: boolean;
  /** Why `saturated` is set (empty when it is not). */
  saturatedBecause: string[];
}

/**
 * Event-loop utilisation from which a generator host counts as saturated.
 * Every delivery waits in its socket while the host works through the
 * others, so past this latencies and rates say more about the generator.
 */
export const GENERATOR_BOUND = 0.9;

export function generatorUsage(before: GeneratorStats, after: GeneratorStats, seconds: number): GeneratorUsage {
  const busiest = Math.max(0, ...after.loopUtilisation);
  const saturatedBecause = busiest >= GENERATOR_BOUND ? [`a generator event loop was ${Math.round(busiest * 100)}% busy`] : [];
  return {
    cpuPercent: Math.round(((after.cpuUs - before.cpuUs) / 1e6 / seconds) * 1000) / 10,
    rssBytes: after.rssBytes,
    loopUtilisation: after.loopUtilisation.map((u) => Math.round(u * 100) / 100),
    saturated: saturatedBecause.length > 0,
    saturatedBecause,
  };
}

export interface ServerUsage {
  window: WindowUsage;
  /** Sum over the measured processes (the target's and redis-server), % of one core. */
  targetCpuPercent: number;
  /**
   * The whole server side, % of one core: `targetCpuPercent` plus, for a
   * target that uses Postgres, every postgres process (for parley: gateways,
   * api, worker, Redis and Postgres). The figure to compare across targets.
   */
  serverCpuPercent: number;
}

export function serverUsage(window: WindowUsage, server: Pick<TargetServer, 'usesPostgres'>): ServerUsage {
  const usesPostgres = server.usesPostgres === true;
  const targetCpuPercent = Math.round(window.processes.reduce((a, p) => a + p.cpuPercent, 0) * 10) / 10;
  return { window, targetCpuPercent, serverCpuPercent: usesPostgres ? Math.round((targetCpuPercent + window.postgresCpuPercent) * 10) / 10 : targetCpuPercent };
}

export type { LatencySummary };

/** A connect phase, as reported. */
export interface ConnectSummary {
  attempted: number;
  ok: number;
  failed: number;
  failures: Record<string, number>;
  okByEndpoint: Record<string, number>;
  seconds: number;
  /** Sockets ready per second. */
  ratePerSecond: number;
  /** Upgrade started → ready. */
  latency: LatencySummary;
}

export function connectOutcome(c: ConnectOutcome): ConnectSummary {
  return {
    attempted: c.attempted,
    ok: c.ok,
    failed: c.failed,
    failures: c.failures,
    okByEndpoint: c.okByEndpoint,
    seconds: Math.round(c.elapsedMs / 10) / 100,
    ratePerSecond: Math.round(c.ratePerSecond),
    latency: c.connectLatency.summary(),
  };
}
