/**
 * Delivery-proving health: every GATEWAY_PROBE_INTERVAL_MS the gateway
 * publishes a probe on its own channel and must receive it back through its
 * subscriber connection within GATEWAY_PROBE_TIMEOUT_MS: the same path room
 * messages take. A gateway whose fan-out died (a dead or half-open subscriber
 * link, a Redis that accepts commands but delivers nothing) fails the probe.
 *
 * After GATEWAY_PROBE_MAX_FAILURES failures in a row the gateway reports not
 * ready (/readyz 503), so the load balancer stops sending it new sockets, and
 * it drops and reconnects its subscriber link; the reconnect resyncs every
 * room (RoomRelay). The first probe that comes back makes it ready again.
 */
import type { Logger } from '../shared/log.js';
import type { GatewayMetrics } from './metrics.js';

export interface ProbeConfig {
  intervalMs: number;
  timeoutMs: number;
  maxFailures: number;
}

export interface ProbeDeps {
  config: ProbeConfig;
  /** Publishes the payload on this gateway's probe channel. */
  send: (payload: string) => Promise<void>;
  /** Reconnects the subscriber link (RedisBus.reconnectSubscriber). */
  reconnect: () => void;
  metrics: Pick<GatewayMetrics, 'probeLatency' | 'probeFailures' | 'probeFailing'>;
  logger: Logger;
}

export class FanoutProbe {
  private timer: NodeJS.Timeout | null = null;
  private outstanding: { token: string; sentAt: number; deadline: NodeJS.Timeout } | null = null;
  private failures = 0;
  private next = 0;

  constructor(private readonly deps: ProbeDeps) {}

  /** False after GATEWAY_PROBE_MAX_FAILURES failures in a row, until a probe comes back. */
  get healthy(): boolean {
    return this.failures < this.deps.config.maxFailures;
  }

  start(): void {
    this.timer = setInterval(() => this.send(), this.deps.config.intervalMs);
    this.timer.unref();
    this.send();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.outstanding) clearTimeout(this.outstanding.deadline);
    this.outstanding = null;
  }

  /** What came back on the probe channel. */
  received(payload: string): void {
    const probe = this.outstanding;
    if (!probe || probe.token !== payload) return;
    clearTimeout(probe.deadline);
    this.outstanding = null;
    this.deps.metrics.probeLatency.observe((performance.now() - probe.sentAt) / 1000);
    if (!this.healthy) this.deps.logger.info({ failures: this.failures }, 'fan-out probe came back: ready again');
    this.failures = 0;
    this.deps.metrics.probeFailing.set(0);
  }

  private send(): void {
    // One probe at a time: the previous one is judged by its own deadline.
    if (this.outstanding) return;
    const token = `${process.pid}:${++this.next}`;
    const deadline = setTimeout(() => this.failed(token, 'timeout'), this.deps.config.timeoutMs);
    deadline.unref();
    this.outstanding = { token, sentAt: performance.now(), deadline };
    this.deps.send(token).catch((err: unknown) => {
      clearTimeout(deadline);
      this.failed(token, (err as Error).message);
    });
  }

  private failed(token: string, why: string): void {
    if (this.outstanding?.token !== token) return;
    this.outstanding = null;
    this.failures++;
    this.deps.metrics.probeFailures.inc();
    this.deps.metrics.probeFailing.set(this.failures);
    const { maxFailures } = this.deps.config;
    this.deps.logger.warn({ failures: this.failures, why }, 'fan-out probe failed');
    // Each time the failures reach another multiple of the bound: not ready,
    // and a fresh subscriber link (repeated while it stays broken).
    if (this.failures % maxFailures === 0) {
      this.deps.logger.error({ failures: this.failures }, 'fan-out is not delivering: reporting not ready and reconnecting the subscriber');
      this.deps.reconnect();
    }
  }
}
