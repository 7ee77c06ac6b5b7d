/**
 * Scenario 5, measured during scenarios 1 and 2 on parley (every step): how fast the worker
 * writes messages to Postgres, and how far it lags behind the publishers.
 * Figures come from the worker's own metrics (ops port): the persisted
 * counter, the persistence-stream length (messages accepted but not yet
 * committed: the worker deletes entries after commit) and its
 * accepted→committed latency histogram. At the end the messages table is
 * counted against the acked total.
 */
import { quantileBetween } from '../prometheus.js';
import type { TargetServer } from '../target.js';

export interface PersistenceSample {
  atMs: number;
  /** Messages newly written since the worker started. */
  persisted: number;
  /** Persistence-stream entries: accepted, not yet committed. */
  backlog: number;
  /** Read by the worker, not yet acknowledged. */
  pending: number;
  /** Cumulative buckets of the worker's accepted→committed latency (seconds). */
  persistLatency: { le: number; count: number }[];
  /** Batches processed, and entries in them (the worker's batch-size histogram's count and sum). */
  batches: number;
  batchedEntries: number;
}

export interface PersistenceProbe {
  sample(): Promise<PersistenceSample>;
  /** Rows in the messages table. */
  storedMessages(): Promise<number>;
}

export function hasPersistence(server: TargetServer): server is TargetServer & { persistence: PersistenceProbe } {
  const probe = (server as { persistence?: Partial<PersistenceProbe> }).persistence;
  return typeof probe?.sample === 'function' && typeof probe.storedMessages === 'function';
}

export interface PersistenceWindow {
  seconds: number;
  /** Messages committed per second over the window. */
  writesPerSecond: number;
  maxBacklog: number;
  /** Backlog when the window closed. */
  endBacklog: number;
  /** Entries per worker batch (one read, one insert transaction, one ack) over the window. */
  meanBatchSize: number | null;
  /** Accepted→committed latency of messages committed in the window (histogram bucket bounds, ms). */
  persistP50Ms: number | null;
  persistP99Ms: number | null;
}

/** Samples once a second from `start()` until `stop()`. */
export class PersistenceWatch {
  private samples: PersistenceSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly probe: PersistenceProbe) {}

  async start(): Promise<void> {
    this.samples = [await this.probe.sample()];
    this.timer = setInterval(() => {
      this.inFlight = this.probe.sample().then(
        (s) => void this.samples.push(s),
        () => undefined,
      );
    }, 1000);
  }

  async stop(): Promise<PersistenceWindow> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlight;
    this.samples.push(await this.probe.sample());
    const first = this.samples[0]!;
    const last = this.samples.at(-1)!;
    const seconds = (last.atMs - first.atMs) / 1000;
    const ms = (s: number | null) => (s === null ? null : s === Infinity ? Infinity : Math.round(s * 1000 * 10) / 10);
    return {
      seconds,
      writesPerSecond: seconds > 0 ? Math.round((last.persisted - first.persisted) / seconds) : 0,
      maxBacklog: Math.max(...this.samples.map((s) => s.backlog)),
      endBacklog: last.backlog,
      meanBatchSize: last.batches > first.batches ? Math.round(((last.batchedEntries - first.batchedEntries) / (last.batches - first.batches)) * 10) / 10 : null,
      persistP50Ms: ms(quantileBetween(first.persistLatency, last.persistLatency, 0.5)),
      persistP99Ms: ms(quantileBetween(first.persistLatency, last.persistLatency, 0.99)),
    };
  }
}

export interface PersistenceResult {
  /** One window per step of scenario 1 or 2, while publishing. */
  steps: (PersistenceWindow & { offeredRate: number })[];
  /** Highest write rate of any step. */
  peakWritesPerSecond: number;
  /** After the last step: time until the backlog was empty (null: not within the bound). */
  drainMs: number | null;
  backlogAtEnd: number;
  /** Every acked message of the scenario must be in Postgres once drained. */
  acked: number;
  stored: number;
  ackedNotStored: number;
}

/**
 * Waits (bounded by `maxMs`) until the worker has nothing left: no stream
 * entry uncommitted, none read and unacknowledged. `drainMs` is null when it
 * did not get there; `sample` is the last one taken. `onSample` sees every
 * sample (scenario 6 keeps them as a timeline).
 */
export async function waitForDrain(
  probe: PersistenceProbe,
  maxMs: number,
  options: { pollMs?: number; onSample?: (s: PersistenceSample) => void } = {},
): Promise<{ drainMs: number | null; sample: PersistenceSample }> {
  const started = performance.now();
  let sample = await probe.sample();
  for (;;) {
    options.onSample?.(sample);
    if (sample.backlog === 0 && sample.pending === 0) return { drainMs: Math.round(performance.now() - started), sample };
    if (performance.now() - started > maxMs) return { drainMs: null, sample };
    await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
    sample = await probe.sample();
  }
}

/** Waits (bounded) until the worker has nothing left, then counts the table. */
export async function drainAndCount(probe: PersistenceProbe, acked: number, maxMs: number): Promise<Omit<PersistenceResult, 'steps' | 'peakWritesPerSecond'>> {
  const { drainMs, sample } = await waitForDrain(probe, maxMs);
  const stored = await probe.storedMessages();
  return { drainMs, backlogAtEnd: sample.backlog, acked, stored, ackedNotStored: Math.max(0, acked - stored) };
}
