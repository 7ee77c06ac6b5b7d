/**
 * Messages between the orchestrator and a socket host (a generator worker
 * thread, or a generator child process in scenario 3). Every request gets
 * exactly one reply with the same `id`. The orchestrator sends a host one
 * request at a time, except `stats`, which it also asks while `connect` or
 * `publish` is under way.
 *
 * Everything here survives structured cloning (worker threads) and the
 * `advanced` serialization of child-process IPC: plain objects, arrays and
 * typed arrays only.
 */
import type { HistogramData } from './histogram.js';
import type { ClientSpec, TargetKind } from './target.js';

export interface PublisherPlan {
  /** Global publisher id (0..P-1): the `p` in message bodies. */
  id: number;
  room: string;
  /** Deliveries every acked message must produce: sockets in the room, the publisher included. */
  fanout: number;
}

export interface SocketPlan {
  spec: ClientSpec;
  publisher?: PublisherPlan;
}

export interface HostInit {
  kind: TargetKind;
  /** Host number, for names in failure messages. */
  index: number;
  payloadBytes: number;
}

export type HostRequest =
  | { type: 'init'; init: HostInit }
  | {
      type: 'connect';
      sockets: SocketPlan[];
      /** Upgrades in flight at once on this host. */
      concurrency: number;
      /** Stop opening more once this many have failed (scenario 3: open until failures appear). */
      stopAfterFailures: number;
    }
  | {
      type: 'publish';
      /** Messages per second, per publisher socket on this host. */
      ratePerPublisher: number;
      durationMs: number;
    }
  | { type: 'stats'; resetLatency: boolean }
  | {
      type: 'account';
      /** upTo[p]: account publisher p's messages below this number (those sent so far). */
      upTo: number[];
    }
  | { type: 'close'; timeoutMs: number };

export type HostRequestType = HostRequest['type'];

export interface ConnectResult {
  ok: number;
  failed: number;
  /** Failures by reason (EMFILE, http_503, timeout, …). */
  failures: Record<string, number>;
  /** Sockets opened per endpoint URL. */
  okByEndpoint: Record<string, number>;
  /** From the first upgrade started to the last settled, on this host. */
  elapsedMs: number;
  /** Upgrade started → ready (parley: `welcome`). */
  connectLatency: HistogramData;
}

/** The plain counters of HostStats: hosts count them, the generator sums them. */
export const HOST_COUNTERS = ['open', 'deliveries', 'duplicates', 'late', 'foreign', 'published', 'acked', 'ackedFanout', 'sendFailures'] as const;
export type HostCounters = Record<(typeof HOST_COUNTERS)[number], number>;

export const zeroCounters = (): HostCounters =>
  Object.fromEntries(HOST_COUNTERS.map((k) => [k, 0])) as HostCounters;

/** Counters are cumulative since `init`; histograms since the last `resetLatency`. */
export interface HostStats extends HostCounters {
  open: number;
  deliveries: number;
  /** Deliveries whose id was not above the last id this socket had from that publisher (duplicate or reordered); not counted as deliveries. */
  duplicates: number;
  /** Deliveries of messages already accounted (arrived after the quiet period). */
  late: number;
  /** Bodies that were not made by this generator. */
  foreign: number;
  published: number;
  acked: number;
  /** Σ over acked messages of their fanout: the deliveries the acks promise. */
  ackedFanout: number;
  /** Publishes that threw at send time (socket not open). */
  sendFailures: number;
  errors: Record<string, number>;
  closes: Record<string, number>;
  /** Messages sent so far by each publisher on this host: [publisher id, sent]. */
  sent: [number, number][];
  latency: HistogramData;
  ackLatency: HistogramData;
  /** Event-loop utilisation (0..1) since the last `resetLatency`: near 1 means this host is the bottleneck. */
  loopUtilisation: number;
  /** process.cpuUsage() of the host's process, µs (for threads: the whole generator process). */
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
}

export interface AccountSlice {
  publisher: number;
  from: number;
  /** received[k]: deliveries this host counted of message `from + k`. */
  received: Uint32Array;
  /** Only from the publisher's own host: acked[k] is 1 when message `from + k` was acked. */
  acked?: Uint8Array;
}

export interface HostReplies {
  init: { type: 'ready' };
  connect: ConnectResult;
  /** `lag`: how late each message left against its open-loop schedule (µs). */
  publish: { sent: number; lag: HistogramData };
  stats: HostStats;
  account: { slices: AccountSlice[] };
  close: { closed: number; stillOpen: number };
}

export type HostReply = { id: number; ok: true; body: HostReplies[HostRequestType] } | { id: number; ok: false; error: string };

export interface HostEnvelope {
  id: number;
  request: HostRequest;
}
