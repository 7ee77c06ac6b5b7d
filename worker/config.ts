/**
 * The worker's configuration: shared slices plus the consumer loop's knobs.
 */
import { hostname } from 'node:os';
import Type, { type Static } from 'typebox';
import { loadConfig, setting } from '../shared/config/env.js';
import { LogConfig, PostgresConfig, RedisConfig, opsConfig } from '../shared/config/slices.js';

export const WorkerConfig = Type.Object({
  /** Most stream entries read, and rows inserted, per batch. */
  batchSize: setting.integer('WORKER_BATCH_SIZE', { default: 500, minimum: 1, maximum: 5000 }),
  /**
   * How long one read waits for new entries. It also bounds how late the
   * periodic claim of dead consumers' entries can run.
   */
  blockMs: setting.integer('WORKER_BLOCK_MS', { default: 1000, minimum: 1, maximum: 60_000 }),
  /**
   * After a read that found some entries but not a full batch, wait this
   * long and take what arrived meanwhile into the same transaction. Under a
   * steady trickle each read finds one or two entries, and a commit per entry
   * costs the worker and Postgres far more CPU than the rows themselves. The
   * wait delays only persistence: clients are acked when Redis accepts a
   * message, and history merges the Redis room log, so nobody waits on it.
   * 0 commits whatever each read returns at once. Each partition lingers on
   * its own, so at a steady rate R a batch holds about R / 8 × linger rows.
   * 100 ms: at 1,000 msg/s that is ~15 rows per commit instead of ~4.5 at
   * 20 ms, which halved both the worker's and Postgres's CPU
   * (scripts/worker-drain.ts --mode steady: worker 25 → 12 %, Postgres
   * 26 → 14 % of a core) for a persistence latency p99 ≤ 250 ms, well
   * inside the 1 s we allow. A backlog is read in full batches and never
   * waits. Keep it well below WORKER_CLAIM_MIN_IDLE_MS.
   */
  lingerMs: setting.integer('WORKER_BATCH_LINGER_MS', { default: 100, minimum: 0, maximum: 5000 }),
  /**
   * Pending entries idle this long belong to a dead consumer and are claimed.
   * Must exceed the longest healthy batch (read + insert + ack), or a live
   * worker's batch is persisted twice (harmless, idempotent, but wasted).
   */
  claimMinIdleMs: setting.integer('WORKER_CLAIM_MIN_IDLE_MS', { default: 30_000, minimum: 1 }),
  claimIntervalMs: setting.integer('WORKER_CLAIM_INTERVAL_MS', { default: 5000, minimum: 1 }),
  /** Pause before retrying after Postgres or Redis failed. */
  retryBackoffMs: setting.integer('WORKER_RETRY_BACKOFF_MS', { default: 1000, minimum: 1 }),
  /**
   * Name in the consumer group. Must be unique among live workers: two
   * processes sharing one would re-read each other's pending entries.
   */
  consumerName: setting.optionalString('WORKER_CONSUMER_NAME', { minLength: 1, maxLength: 200 }),
});
export type WorkerConfig = Omit<Static<typeof WorkerConfig>, 'consumerName'> & { consumerName: string };

export const WorkerServiceConfig = Type.Object({
  log: LogConfig,
  redis: RedisConfig,
  postgres: PostgresConfig,
  ops: opsConfig(9300),
  worker: WorkerConfig,
});
export type WorkerServiceConfig = Omit<Static<typeof WorkerServiceConfig>, 'worker'> & { worker: WorkerConfig };

/** Throws ConfigError listing every problem. */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerServiceConfig {
  const cfg = loadConfig(WorkerServiceConfig, env);
  return { ...cfg, worker: { ...cfg.worker, consumerName: cfg.worker.consumerName ?? `${hostname()}-${process.pid}` } };
}
