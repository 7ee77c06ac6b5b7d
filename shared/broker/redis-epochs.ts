/**
 * The Redis epochs: one random id per persistence partition (`{pN}:epoch`),
 * the owner of those keys. An epoch is written once, by whoever finds it
 * missing, and replaced only by `bump` (after a seq regression was seen). A
 * missing or changed epoch therefore means Redis lost the partition's data,
 * or lost acknowledged writes: room counters of the old epoch are stale, and
 * SeqSeeder seeds them again past every seq that may have been acked.
 *
 * Every process (gateway, api, worker) runs `check` periodically and after
 * each reconnect. The first process to record a changed epoch in the ledger
 * (Postgres) logs the loss and counts it in `parley_redis_data_loss_total`:
 * once per loss, cluster-wide. Listeners (the gateway's relay) hear every
 * change this process notices.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connect.js';
import type { Counter } from 'prom-client';
import type { Logger } from '../log.js';
import { PARTITIONS, type RedisKeys } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import type { SeqLedger } from '../ports.js';

export interface EpochsDeps {
  redis: RedisClient;
  scripts: Scripts;
  keys: RedisKeys;
  ledger: SeqLedger;
  logger: Logger;
  /** parley_redis_data_loss_total{partition}. */
  losses: Counter<'partition'>;
}

export class RedisEpochs {
  private readonly known = new Map<number, string>();
  private readonly listeners: ((partition: number, epoch: string) => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;

  constructor(private readonly deps: EpochsDeps) {}

  /**
   * The partition's epoch as last seen by this process, read (or
   * established) only when it has seen none; a stale one is caught by the
   * scripts that take it (seed.lua answers EPOCH), and `current` reads again.
   */
  async cached(partition: number): Promise<string> {
    return this.known.get(partition) ?? this.current(partition);
  }

  /** The partition's epoch, establishing one when Redis has none. */
  async current(partition: number): Promise<string> {
    const { redis, keys } = this.deps;
    // SET NX GET: answers the existing epoch, or nil when ours was written.
    const candidate = randomUUID();
    const existing = await redis.set(keys.partitionEpoch(partition), candidate, 'NX', 'GET');
    const epoch = existing ?? candidate;
    await this.noticed(partition, epoch, existing === null ? 'missing' : 'read');
    return epoch;
  }

  /**
   * Replaces the partition's epoch if it is still `seen` (the epoch a seq
   * regression was observed under). Resolves true when this call replaced it.
   */
  async bump(partition: number, seen: string, why: string): Promise<boolean> {
    const next = randomUUID();
    const replaced = (await this.deps.scripts.bump(this.deps.keys.partitionEpoch(partition), seen, next)) === 1;
    if (replaced) {
      this.deps.logger.error({ partition, epoch: next, previous: seen, why }, 'seq regression: RedisClient lost acknowledged writes; epoch replaced, counters will be reseeded');
      await this.noticed(partition, next, 'bumped');
    }
    return replaced;
  }

  /** Reads every partition's epoch (one round trip) and reports any change. */
  check(): Promise<void> {
    // One check at a time: a reconnect during a periodic check adds nothing.
    this.checking ??= this.checkAll().finally(() => (this.checking = null));
    return this.checking;
  }

  /** Calls `listener` with each change this process notices (not the first read). */
  onChange(listener: (partition: number, epoch: string) => void): void {
    this.listeners.push(listener);
  }

  /** Checks now, then every `intervalMs`, and after every reconnect of the connection. */
  async start(intervalMs: number): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check().catch((err: unknown) => this.deps.logger.warn({ err }, 'epoch check failed')), intervalMs);
    this.timer.unref();
    this.deps.redis.on('ready', this.onReady);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.deps.redis.off('ready', this.onReady);
  }

  private readonly onReady = () => {
    void this.check().catch((err: unknown) => this.deps.logger.warn({ err }, 'epoch check after reconnect failed'));
  };

  private async checkAll(): Promise<void> {
    // One read per partition: each epoch is in its partition's slot (in a
    // Redis Cluster, on that partition's shard).
    const partitions = Array.from({ length: PARTITIONS }, (_, p) => p);
    const values = await Promise.all(partitions.map((p) => this.deps.redis.get(this.deps.keys.partitionEpoch(p))));
    await Promise.all(
      values.map(async (value, p) => {
        if (value === null) await this.current(p);
        else await this.noticed(p, value, 'read');
      }),
    );
  }

  /**
   * Records what was found. A change against the ledger is a loss, logged
   * and counted by the one process whose write changed the record.
   */
  private async noticed(partition: number, epoch: string, how: 'read' | 'missing' | 'bumped'): Promise<void> {
    const before = this.known.get(partition);
    if (before === epoch) return;
    const recorded = await this.deps.ledger.recordEpoch(partition, epoch);
    this.known.set(partition, epoch);
    if (recorded && recorded.previous !== null) {
      this.deps.losses.inc({ partition: String(partition) });
      this.deps.logger.error(
        { partition, epoch, previous: recorded.previous, how },
        how === 'bumped'
          ? 'Redis lost acknowledged writes of this partition (seq regression); rooms are reseeded past the loss'
          : 'Redis lost the data of this partition (its epoch was missing or replaced); rooms are reseeded past the loss',
      );
    }
    if (before !== undefined) for (const listener of this.listeners) listener(partition, epoch);
  }
}
