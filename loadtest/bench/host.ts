/**
 * One socket host: a generator worker thread or child process holding a
 * share of the sockets in its own event loop. It opens sockets, publishes
 * on a schedule, and counts what arrives; the orchestrator merges hosts.
 *
 * Per delivery the work is O(1) and allocation-free apart from what the
 * target client itself allocates: the body is parsed in place, the latency
 * goes into a histogram, and the message is counted in a per-publisher array
 * indexed by its number.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { clockMs, makeBody, messageId, parseBody, parsed, MIN_BODY_BYTES } from './body.js';
import { failureReason } from './connect-failure.js';
import { Histogram } from './histogram.js';
import type { AccountSlice, ConnectResult, HostInit, HostReplies, HostRequest, HostRequestType, HostStats, PublisherPlan, SocketPlan } from './host-protocol.js';
import { zeroCounters } from './host-protocol.js';
import { loadClient } from './registry.js';
import type { BenchSocket, ClientHandlers, TargetClient } from './target.js';

/** How often the publish schedule is checked; publishes due in between go out together. */
const TICK_MS = 5;

interface SocketState {
  socket: BenchSocket | null;
  open: boolean;
  /** Highest message number seen per publisher on this socket, for duplicate detection. */
  last: Map<number, number>;
}

interface Publisher extends PublisherPlan {
  state: SocketState;
  sent: number;
  acked: Uint8Array;
  /** Sent in the current publish phase (the schedule counts from the phase start). */
  phaseSent: number;
  /** Fraction of a period this publisher is shifted by, so publishers do not all fire on one tick. */
  phase: number;
}

const increment = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

function grow<T extends Uint32Array | Uint8Array>(array: T, needed: number, make: (n: number) => T): T {
  if (needed <= array.length) return array;
  const next = make(Math.max(needed, array.length * 2, 64));
  next.set(array);
  return next;
}

export class SocketHost {
  private readonly sockets: SocketState[] = [];
  private readonly publishers: Publisher[] = [];
  /** received[p][n]: deliveries of message n of publisher p on this host's sockets. */
  private received: Uint32Array[] = [];
  /** Per publisher: messages below this number are accounted; deliveries of them count as late. */
  private accountedTo: number[] = [];
  private readonly latency = new Histogram();
  private readonly ackLatency = new Histogram();
  private elu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly c = zeroCounters();
  private readonly errors: Record<string, number> = {};
  private readonly closes: Record<string, number> = {};

  private constructor(
    private readonly init: HostInit,
    private readonly client: TargetClient,
  ) {}

  static async create(init: HostInit): Promise<SocketHost> {
    if (init.payloadBytes < MIN_BODY_BYTES) throw new Error(`payload must be at least ${MIN_BODY_BYTES} bytes`);
    const client = await loadClient(init.kind);
    if (!client.available) throw new Error(client.reason);
    return new SocketHost(init, client.value);
  }

  async handle(request: Exclude<HostRequest, { type: 'init' }>): Promise<HostReplies[HostRequestType]> {
    switch (request.type) {
      case 'connect':
        return this.connect(request.sockets, request.concurrency, request.stopAfterFailures);
      case 'publish':
        return this.publish(request.ratePerPublisher, request.durationMs);
      case 'stats':
        return this.stats(request.resetLatency);
      case 'account':
        return { slices: this.account(request.upTo) };
      case 'close':
        return this.close(request.timeoutMs);
    }
  }

  private handlers(state: SocketState): ClientHandlers {
    return {
      onDeliver: (_room, body) => this.deliver(state, body),
      onClose: (code) => {
        if (state.open) this.c.open--;
        state.open = false;
        increment(this.closes, String(code));
      },
      onError: (code) => increment(this.errors, code),
    };
  }

  private deliver(state: SocketState, body: string): void {
    const now = clockMs();
    if (!parseBody(body)) {
      this.c.foreign++;
      return;
    }
    const p = parsed.publisher;
    const n = parsed.n;
    const last = state.last.get(p);
    if (last !== undefined && n <= last) {
      this.c.duplicates++;
      return;
    }
    state.last.set(p, n);
    if (n < (this.accountedTo[p] ?? 0)) {
      this.c.late++;
      return;
    }
    let counts = this.received[p] ?? new Uint32Array(0);
    if (n >= counts.length) counts = grow(counts, n + 1, (k) => new Uint32Array(k));
    this.received[p] = counts;
    counts[n]!++;
    this.c.deliveries++;
    this.latency.record((now - parsed.sentAtMs) * 1000);
  }

  private async connect(plans: SocketPlan[], concurrency: number, stopAfterFailures: number): Promise<ConnectResult> {
    const connectLatency = new Histogram();
    const failures: Record<string, number> = {};
    const okByEndpoint: Record<string, number> = {};
    let ok = 0;
    let failed = 0;
    let next = 0;
    const started = clockMs();
    const lane = async () => {
      while (next < plans.length && failed < stopAfterFailures) {
        const plan = plans[next++]!;
        const state: SocketState = { socket: null, open: false, last: new Map() };
        const t0 = clockMs();
        try {
          state.socket = await this.client.connect(plan.spec, this.handlers(state));
          connectLatency.record((clockMs() - t0) * 1000);
          state.open = true;
          this.c.open++;
          ok++;
          increment(okByEndpoint, plan.spec.endpoint);
          this.sockets.push(state);
          if (plan.publisher) this.addPublisher(plan.publisher, state);
        } catch (err) {
          failed++;
          increment(failures, failureReason(err));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, plans.length)) }, lane));
    return { ok, failed, failures, okByEndpoint, elapsedMs: clockMs() - started, connectLatency: connectLatency.snapshot() };
  }

  private addPublisher(plan: PublisherPlan, state: SocketState): void {
    this.publishers.push({ ...plan, state, sent: 0, acked: new Uint8Array(0), phaseSent: 0, phase: 0 });
    const count = this.publishers.length;
    this.publishers.forEach((p, i) => (p.phase = i / count));
  }

  /**
   * Open loop: each publisher sends at `rate` whatever the acks do, so a slow
   * server shows up as latency, not as a slower sender. Message k of a phase
   * is due at start + (k − phase) / rate; how late it actually left is
   * recorded (`lag`), because latency is measured from the real send time and
   * a host that cannot keep the schedule would otherwise hide its own delay.
   */
  private publish(rate: number, durationMs: number): Promise<HostReplies['publish']> {
    const start = clockMs();
    const end = start + durationMs;
    const lag = new Histogram();
    let sent = 0;
    for (const p of this.publishers) p.phaseSent = 0;
    return new Promise((resolve) => {
      const tick = () => {
        const clock = clockMs();
        const now = Math.min(clock, end);
        const elapsedS = (now - start) / 1000;
        for (const p of this.publishers) {
          const due = Math.floor(elapsedS * rate + p.phase);
          while (p.phaseSent < due) {
            p.phaseSent++;
            sent++;
            lag.record((clock - (start + ((p.phaseSent - p.phase) / rate) * 1000)) * 1000);
            this.publishOne(p);
          }
        }
        if (now >= end) {
          clearInterval(timer);
          resolve({ sent, lag: lag.snapshot() });
        }
      };
      const timer = setInterval(tick, TICK_MS);
    });
  }

  private publishOne(p: Publisher): void {
    const n = p.sent++;
    const sentAt = clockMs();
    this.c.published++;
    if (!p.state.open || !p.state.socket) {
      this.c.sendFailures++;
      return;
    }
    p.acked = grow(p.acked, n + 1, (k) => new Uint8Array(k));
    try {
      p.state.socket.publish(p.room, makeBody(sentAt, p.id, n, this.init.payloadBytes), messageId(p.id, n), () => {
        p.acked[n] = 1;
        this.c.acked++;
        this.c.ackedFanout += p.fanout;
        this.ackLatency.record((clockMs() - sentAt) * 1000);
      });
    } catch {
      this.c.sendFailures++;
    }
  }

  private stats(resetLatency: boolean): HostStats {
    const elu = performance.eventLoopUtilization(this.elu);
    const cpu = process.cpuUsage();
    const stats: HostStats = {
      ...this.c,
      errors: { ...this.errors },
      closes: { ...this.closes },
      sent: this.publishers.map((p) => [p.id, p.sent]),
      latency: this.latency.snapshot(),
      ackLatency: this.ackLatency.snapshot(),
      loopUtilisation: elu.utilization,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: process.memoryUsage.rss(),
    };
    if (resetLatency) {
      this.latency.reset();
      this.ackLatency.reset();
      this.elu = performance.eventLoopUtilization();
    }
    return stats;
  }

  private account(upTo: number[]): AccountSlice[] {
    const own = new Map(this.publishers.map((p) => [p.id, p]));
    const slices: AccountSlice[] = [];
    upTo.forEach((to, p) => {
      const from = this.accountedTo[p] ?? 0;
      if (to <= from) return;
      const counts = this.received[p] ?? new Uint32Array(0);
      const received = new Uint32Array(to - from);
      received.set(counts.subarray(from, Math.min(to, counts.length)));
      const slice: AccountSlice = { publisher: p, from, received };
      const mine = own.get(p);
      if (mine) {
        const acked = new Uint8Array(to - from);
        acked.set(mine.acked.subarray(from, Math.min(to, mine.acked.length)));
        slice.acked = acked;
      }
      slices.push(slice);
      this.accountedTo[p] = to;
    });
    return slices;
  }

  private async close(timeoutMs: number): Promise<{ closed: number; stillOpen: number }> {
    const closing = this.sockets.filter((s) => s.open);
    for (const s of closing) s.socket?.close();
    const deadline = Date.now() + timeoutMs;
    while (this.c.open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return { closed: closing.length - this.c.open, stillOpen: this.c.open };
  }
}
