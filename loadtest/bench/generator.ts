/**
 * The orchestrator's handle on the load generator: a set of socket hosts
 * (worker threads, one per core by default; or child processes when one
 * process cannot hold all the sockets), each with its own event loop.
 * The caller deals sockets to hosts (scenarios/common.ts `dealtTo`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { Histogram } from './histogram.js';
import type { ConnectResult, HostEnvelope, HostReplies, HostReply, HostRequest, HostStats, SocketPlan } from './host-protocol.js';
import { HOST_COUNTERS, zeroCounters } from './host-protocol.js';
import { accountLoss, type LossReport } from './loss.js';
import type { TargetKind } from './target.js';

export type HostMode = 'threads' | 'processes';

export interface GeneratorOptions {
  kind: TargetKind;
  hosts: number;
  mode: HostMode;
  payloadBytes: number;
}

interface HostLink {
  request<R extends HostRequest>(request: R): Promise<HostReplies[R['type']]>;
  stop(): Promise<void>;
}

/** How the orchestrator talks to one host, whatever carries the messages. */
interface Transport {
  send(envelope: HostEnvelope): void;
  onReply(handler: (reply: HostReply) => void): void;
  /** The host died (thread error, process exit): every request in flight fails with `err`. */
  onFailure(handler: (err: Error) => void): void;
  stop(): Promise<void>;
}

function link(transport: Transport, name: string): HostLink {
  let nextId = 0;
  let failed: Error | null = null;
  const waiting = new Map<number, { resolve: (body: HostReplies[keyof HostReplies]) => void; reject: (err: Error) => void }>();
  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  transport.onReply((reply) => {
    const w = waiting.get(reply.id);
    if (!w) return;
    waiting.delete(reply.id);
    if (reply.ok) w.resolve(reply.body);
    else w.reject(new Error(`${name}: ${reply.error}`));
  });
  transport.onFailure((err) => {
    failed = new Error(`${name} failed: ${err.message}`);
    failAll(failed);
  });
  return {
    request<R extends HostRequest>(request: R) {
      if (failed) return Promise.reject(failed);
      const id = nextId++;
      return new Promise<HostReplies[R['type']]>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (body: HostReplies[keyof HostReplies]) => void, reject });
        transport.send({ id, request });
      });
    },
    stop: async () => {
      failed ??= new Error(`${name} stopped`);
      failAll(failed);
      await transport.stop();
    },
  };
}

function threadHost(index: number): HostLink {
  const worker = new Worker(new URL('./generator-thread.js', import.meta.url));
  return link(
    {
      send: (e) => worker.postMessage(e),
      onReply: (h) => worker.on('message', h),
      onFailure: (h) => {
        worker.on('error', h);
        worker.on('exit', (code) => h(new Error(`thread exited with ${code}`)));
      },
      stop: async () => void (await worker.terminate()),
    },
    `generator thread ${index}`,
  );
}

function childHost(index: number): HostLink {
  const child: ChildProcess = fork(new URL('./generator-child.js', import.meta.url), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return link(
    {
      send: (e) => child.send(e),
      onReply: (h) => child.on('message', (m: HostReply) => h(m)),
      onFailure: (h) => {
        child.on('error', h);
        child.on('exit', (code, signal) => h(new Error(`process exited with ${code ?? signal}`)));
      },
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    },
    `generator process ${index}`,
  );
}

export interface ConnectOutcome {
  attempted: number;
  ok: number;
  failed: number;
  failures: Record<string, number>;
  okByEndpoint: Record<string, number>;
  /** Wall time on the orchestrator, from the first upgrade to the last settled. */
  elapsedMs: number;
  /** Sockets ready per second over `elapsedMs`. */
  ratePerSecond: number;
  connectLatency: Histogram;
}

/** Stats of every host, merged. Counters cumulative; histograms since the last reset. */
export interface GeneratorStats extends Omit<HostStats, 'latency' | 'ackLatency' | 'sent' | 'loopUtilisation' | 'cpuUserUs' | 'cpuSystemUs' | 'rssBytes'> {
  latency: Histogram;
  ackLatency: Histogram;
  sent: Map<number, number>;
  loopUtilisation: number[];
  /** CPU the generator used since it started (µs): this process and its threads, or the child processes. */
  cpuUs: number;
  rssBytes: number;
}

const sumInto = (target: Record<string, number>, source: Record<string, number>) => {
  for (const [k, v] of Object.entries(source)) target[k] = (target[k] ?? 0) + v;
};

export class Generator {
  private readonly fanout = new Map<number, number>();
  private readonly cpuAtStart = process.cpuUsage();

  private constructor(
    private readonly hosts: HostLink[],
    readonly options: GeneratorOptions,
  ) {}

  static async start(options: GeneratorOptions): Promise<Generator> {
    const hosts = Array.from({ length: options.hosts }, (_, i) => (options.mode === 'threads' ? threadHost(i) : childHost(i)));
    const gen = new Generator(hosts, options);
    try {
      await Promise.all(hosts.map((h, index) => h.request({ type: 'init', init: { kind: options.kind, index, payloadBytes: options.payloadBytes } })));
    } catch (err) {
      await gen.stop();
      throw err;
    }
    return gen;
  }

  get hostCount(): number {
    return this.hosts.length;
  }

  /**
   * Opens sockets with at most `concurrency` upgrades in flight (split over
   * hosts); `shares[h]` are the sockets host h opens.
   */
  async connect(shares: SocketPlan[][], options: { concurrency: number; stopAfterFailures?: number }): Promise<ConnectOutcome> {
    if (shares.length !== this.hosts.length) throw new Error(`${shares.length} shares for ${this.hosts.length} hosts`);
    const plans = shares.flat();
    for (const p of plans) if (p.publisher) this.fanout.set(p.publisher.id, p.publisher.fanout);
    const perHost = Math.max(1, Math.ceil(options.concurrency / this.hosts.length));
    const started = performance.now();
    const results: ConnectResult[] = await Promise.all(
      this.hosts.map((h, i) =>
        h.request({ type: 'connect', sockets: shares[i]!, concurrency: perHost, stopAfterFailures: options.stopAfterFailures ?? Number.MAX_SAFE_INTEGER }),
      ),
    );
    const elapsedMs = performance.now() - started;
    const connectLatency = new Histogram();
    const failures: Record<string, number> = {};
    const okByEndpoint: Record<string, number> = {};
    let ok = 0;
    let failed = 0;
    for (const r of results) {
      ok += r.ok;
      failed += r.failed;
      sumInto(failures, r.failures);
      sumInto(okByEndpoint, r.okByEndpoint);
      connectLatency.merge(r.connectLatency);
    }
    return { attempted: plans.length, ok, failed, failures, okByEndpoint, elapsedMs, ratePerSecond: ok / (elapsedMs / 1000), connectLatency };
  }

  /**
   * Every publisher sends `ratePerPublisher` messages/s for `durationMs` (open
   * loop). Resolves when all stopped sending, with the messages sent and how
   * late they left against the schedule (µs, every host merged).
   */
  async publish(ratePerPublisher: number, durationMs: number): Promise<{ sent: number; lag: Histogram }> {
    const replies = await Promise.all(this.hosts.map((h) => h.request({ type: 'publish', ratePerPublisher, durationMs })));
    const lag = new Histogram();
    for (const r of replies) lag.merge(r.lag);
    return { sent: replies.reduce((a, r) => a + r.sent, 0), lag };
  }

  async stats(resetLatency: boolean): Promise<GeneratorStats> {
    const all = await Promise.all(this.hosts.map((h) => h.request({ type: 'stats', resetLatency })));
    const merged: GeneratorStats = {
      ...zeroCounters(),
      errors: {},
      closes: {},
      sent: new Map(),
      latency: new Histogram(),
      ackLatency: new Histogram(),
      loopUtilisation: [],
      cpuUs: 0,
      rssBytes: 0,
    };
    for (const s of all) {
      for (const k of HOST_COUNTERS) merged[k] += s[k];
      sumInto(merged.errors, s.errors);
      sumInto(merged.closes, s.closes);
      for (const [p, n] of s.sent) merged.sent.set(p, n);
      merged.latency.merge(s.latency);
      merged.ackLatency.merge(s.ackLatency);
      merged.loopUtilisation.push(s.loopUtilisation);
      if (this.options.mode === 'processes') {
        merged.cpuUs += s.cpuUserUs + s.cpuSystemUs;
        merged.rssBytes += s.rssBytes;
      }
    }
    if (this.options.mode === 'threads') {
      const cpu = process.cpuUsage(this.cpuAtStart);
      merged.cpuUs = cpu.user + cpu.system;
      merged.rssBytes = process.memoryUsage.rss();
    }
    return merged;
  }

  /**
   * Waits until what was published has arrived: every publish acked (or
   * failed to send) and at least as many deliveries as the acks promise, or
   * nothing new for `quietMs`; at most `maxMs`. Returns the final stats
   * (histograms not reset) and whether it settled before the bound.
   */
  async settle(options: { quietMs: number; maxMs: number }): Promise<{ stats: GeneratorStats; settled: boolean; waitedMs: number }> {
    const started = performance.now();
    let last = await this.stats(false);
    let lastChange = performance.now();
    for (;;) {
      const complete = last.deliveries >= last.ackedFanout && last.acked + last.sendFailures + errorCount(last) >= last.published;
      const waited = performance.now() - started;
      if (complete) return { stats: last, settled: true, waitedMs: waited };
      if (performance.now() - lastChange >= options.quietMs || waited >= options.maxMs) return { stats: last, settled: false, waitedMs: waited };
      await new Promise((r) => setTimeout(r, 100));
      const next = await this.stats(false);
      if (next.deliveries !== last.deliveries || next.acked !== last.acked) lastChange = performance.now();
      last = next;
    }
  }

  /** Accounts every message sent since the previous call (call after `settle`). */
  async account(): Promise<LossReport> {
    const { sent } = await this.stats(false);
    const upTo: number[] = [];
    for (const [p, n] of sent) upTo[p] = n;
    for (let p = 0; p < upTo.length; p++) upTo[p] ??= 0;
    const replies = await Promise.all(this.hosts.map((h) => h.request({ type: 'account', upTo })));
    return accountLoss(
      replies.flatMap((r) => r.slices),
      (p) => this.fanout.get(p) ?? 0,
    );
  }

  async closeSockets(timeoutMs = 15_000): Promise<{ closed: number; stillOpen: number }> {
    const all = await Promise.all(this.hosts.map((h) => h.request({ type: 'close', timeoutMs })));
    return all.reduce((a, r) => ({ closed: a.closed + r.closed, stillOpen: a.stillOpen + r.stillOpen }), { closed: 0, stillOpen: 0 });
  }

  async stop(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.stop()));
  }
}

/** Error frames the target sent (publish refusals among them). */
export const errorCount = (stats: Pick<HostStats, 'errors'>): number => Object.values(stats.errors).reduce((a, b) => a + b, 0);
