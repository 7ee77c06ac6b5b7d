/**
 * The worker's Prometheus metrics. Backlog gauges are read from Redis at
 * scrape time, so they are exact when scraped and cost nothing in between.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RedisClient } from '../shared/redis/connect.js';
import { LATENCY_BUCKETS } from '../shared/metrics.js';
import { PARTITIONS, PERSIST_GROUP, type RedisKeys } from '../shared/redis/keys.js';

export type DeadLetterReason = 'undecodable' | 'seq_conflict';

export interface WorkerMetrics {
  batchSize: Histogram;
  batchDuration: Histogram;
  persistLatency: Histogram;
  persisted: Counter;
  duplicates: Counter;
  seqConflicts: Counter;
  dropped: Counter;
  deadLetters: Counter<'reason'>;
  errors: Counter;
}

export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const registers = [registry];
  return {
    batchSize: new Histogram({
      name: 'parley_worker_batch_size',
      help: 'Stream entries per processed batch',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'parley_worker_batch_duration_seconds',
      help: 'Time to process one batch: decode, insert, dead-letter and ack',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    persistLatency: new Histogram({
      name: 'parley_worker_persist_latency_seconds',
      help: 'From a message being accepted to its row being committed',
      // Past LATENCY_BUCKETS: a Postgres outage delays messages by minutes.
      buckets: [...LATENCY_BUCKETS, 10, 30, 60, 300, 1800],
      registers,
    }),
    persisted: new Counter({
      name: 'parley_worker_messages_persisted_total',
      help: 'Messages newly written to Postgres',
      registers,
    }),
    duplicates: new Counter({
      name: 'parley_worker_duplicates_total',
      help: 'Redelivered messages that were already stored',
      registers,
    }),
    seqConflicts: new Counter({
      name: 'parley_worker_seq_conflicts_total',
      help: 'Messages whose (room, seq) is held by another message: the seq counter went backwards; alert',
      registers,
    }),
    dropped: new Counter({
      name: 'parley_worker_dropped_total',
      help: 'Messages not stored because their room was deleted before they were persisted',
      registers,
    }),
    deadLetters: new Counter({
      name: 'parley_worker_dead_letters_total',
      help: 'Entries moved to the dead-letter stream',
      labelNames: ['reason'],
      registers,
    }),
    errors: new Counter({
      name: 'parley_worker_errors_total',
      help: 'Failed Redis or Postgres operations; the batch is retried',
      registers,
    }),
  };
}

type StreamProbe = Pick<RedisClient, 'xlen' | 'xpending'>;

/**
 * Registers the backlog gauges, labelled by partition. A partition whose
 * stream or group does not exist yet reads as 0. When Redis cannot be reached
 * the gauges are left empty rather than failing the whole scrape.
 */
export function registerBacklogGauges(registry: Registry, redis: StreamProbe, keys: RedisKeys): void {
  const partitions = Array.from({ length: PARTITIONS }, (_, n) => n);
  new Gauge({
    name: 'parley_worker_stream_lag_messages',
    help: 'Entries in the persistence stream: messages not yet committed to Postgres',
    labelNames: ['partition'],
    registers: [registry],
    async collect() {
      this.reset();
      // One read per partition: each stream is in its partition's slot (in a Redis Cluster, on its shard).
      const replies = await Promise.allSettled(partitions.map((n) => redis.xlen(keys.persistStream(n))));
      replies.forEach((r, n) => {
        if (r.status === 'fulfilled') this.set({ partition: String(n) }, Number(r.value));
      });
    },
  });
  new Gauge({
    name: 'parley_worker_pending_messages',
    help: 'Entries delivered to a worker and not yet acknowledged',
    labelNames: ['partition'],
    registers: [registry],
    async collect() {
      this.reset();
      const replies = await Promise.allSettled(partitions.map((n) => redis.xpending(keys.persistStream(n), PERSIST_GROUP)));
      replies.forEach((r, n) => {
        if (r.status === 'rejected' && !isMissingGroup(r.reason as Error)) return;
        this.set({ partition: String(n) }, r.status === 'rejected' ? 0 : Number((r.value as unknown[] | null)?.[0] ?? 0));
      });
    },
  });
}

/** The stream or its group was not created yet: nothing was ever delivered there. */
function isMissingGroup(err: Error): boolean {
  return err.message.startsWith('NOGROUP') || err.message.includes('no such key');
}
