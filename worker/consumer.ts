/**
 * Moves a persistence stream partition into Postgres, at least once.
 *
 * One PartitionConsumer per partition, each on its own Redis connection: a
 * blocking XREADGROUP occupies its connection, and partitions live in
 * different hash slots, so one read across all of them would not be
 * Redis-Cluster-safe.
 *
 * An entry is acknowledged (and deleted, see ack.lua) only after its batch is
 * committed, or after it was copied to the dead-letter stream; so the stream
 * length is the persistence backlog, and a crash at any point leaves entries
 * pending, to be re-read by this consumer name or claimed by another worker.
 * Redelivery is harmless because MessageStore.append is idempotent.
 */
import type { RedisClient } from '../shared/redis/connect.js';
import { ENVELOPE_FIELD, decodeEnvelope, entryField, fileRefProblem, type Envelope } from '../shared/broker/envelope.js';
import { PARTITIONS, PERSIST_GROUP, type RedisKeys } from '../shared/redis/keys.js';
import type { Scripts } from '../shared/redis/scripts.js';
import type { MessageStore } from '../shared/ports.js';
import type { Logger } from '../shared/log.js';
import type { WorkerConfig } from './config.js';
import type { DeadLetterReason, WorkerMetrics } from './metrics.js';

/** Dead letters are for operators to inspect, not an archive. */
const DEAD_LETTER_MAXLEN = 100_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A stream entry: fields is null when the entry was deleted while still pending. */
type Entry = [id: string, fields: string[] | null];

export interface ConsumerDeps {
  /** Opens a connection for one consumer alone; the consumer closes it when it stops. */
  connect: (name: string) => Promise<RedisClient>;
  store: MessageStore;
  scripts: Scripts;
  keys: RedisKeys;
  config: WorkerConfig;
  logger: Logger;
  metrics: WorkerMetrics;
  /**
   * A seq conflict means the room's counter went backwards (Redis lost writes
   * it had acknowledged): the epoch the conflicting message was numbered in is
   * replaced (RedisEpochs.bump), so that counters are reseeded past the loss.
   */
  regressed: (partition: number, epoch: string, why: string) => Promise<unknown>;
}

interface DeadLetter {
  entry: string;
  m: string;
  reason: DeadLetterReason;
}

export class PartitionConsumer {
  private readonly stream: string;
  private readonly deadLetters: string;
  private readonly log: Logger;
  private stopping = false;
  /** True only while a blocking read is in flight: the one moment stop() may cut the connection. */
  private blocked = false;
  private redis: RedisClient | null = null;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(
    readonly partition: number,
    private readonly deps: ConsumerDeps,
  ) {
    this.stream = deps.keys.persistStream(partition);
    this.deadLetters = deps.keys.persistDeadLetter(partition);
    this.log = deps.logger.child({ partition });
  }

  /** Resolves once connected; the loop then runs until stop(). Never rejects after that. */
  async start(): Promise<void> {
    const redis = await this.deps.connect(`worker-p${this.partition}`);
    this.redis = redis;
    this.loop = this.run(redis);
  }

  /** Finishes (commits and acks) the batch in hand, then closes the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.blocked) this.redis?.disconnect();
    await this.loop;
  }

  private async run(redis: RedisClient): Promise<void> {
    let groupReady = false;
    // Entries delivered to this consumer name and never acked come first:
    // after a restart under the same name, and after every failed batch.
    let ownPending = true;
    let nextClaimAt = 0;
    while (!this.stopping) {
      try {
        if (!groupReady) {
          await this.ensureGroup(redis);
          groupReady = true;
        }
        if (ownPending) {
          const entries = await this.read(redis, '0');
          if (entries.length === 0) ownPending = false;
          else await this.process(redis, entries);
        } else if (Date.now() >= nextClaimAt) {
          await this.claim(redis);
          nextClaimAt = Date.now() + this.deps.config.claimIntervalMs;
        } else {
          await this.process(redis, await this.read(redis, '>'));
        }
      } catch (err) {
        if (this.stopping) break;
        this.deps.metrics.errors.inc();
        this.log.error({ err }, 'persistence batch failed; entries stay pending and will be retried');
        if (err instanceof Error && err.message.startsWith('NOGROUP')) groupReady = false;
        ownPending = true;
        await this.sleep(this.deps.config.retryBackoffMs);
      }
    }
    redis.disconnect();
  }

  /** From id 0, not `$`: entries written before any worker ever ran are consumed too. */
  private async ensureGroup(redis: RedisClient): Promise<void> {
    try {
      await redis.xgroup('CREATE', this.stream, PERSIST_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
  }

  private async read(redis: RedisClient, from: '0' | '>'): Promise<Entry[]> {
    const { batchSize, blockMs, consumerName, lingerMs } = this.deps.config;
    if (from === '0') {
      const reply = await redis.xreadgroup('GROUP', PERSIST_GROUP, consumerName, 'COUNT', batchSize, 'STREAMS', this.stream, '0');
      return reply?.[0]?.[1] ?? [];
    }
    if (this.stopping) return [];
    let entries: Entry[];
    this.blocked = true;
    try {
      const reply = await redis.xreadgroup(
        'GROUP', PERSIST_GROUP, consumerName, 'COUNT', batchSize, 'BLOCK', blockMs, 'STREAMS', this.stream, '>',
      );
      entries = reply?.[0]?.[1] ?? [];
    } finally {
      this.blocked = false;
    }
    if (lingerMs === 0 || entries.length === 0 || entries.length >= batchSize || this.stopping) return entries;
    // Entries in hand are not acked yet, so a stop() during the wait ends it early and they are still committed.
    await this.sleep(lingerMs);
    const more = await redis.xreadgroup('GROUP', PERSIST_GROUP, consumerName, 'COUNT', batchSize - entries.length, 'STREAMS', this.stream, '>');
    return entries.concat(more?.[0]?.[1] ?? []);
  }

  /** Takes over entries a dead consumer left pending for claimMinIdleMs, page by page. */
  private async claim(redis: RedisClient): Promise<void> {
    const { batchSize, claimMinIdleMs, consumerName } = this.deps.config;
    let cursor = '0-0';
    do {
      const [next, entries] = (await redis.xautoclaim(
        this.stream, PERSIST_GROUP, consumerName, claimMinIdleMs, cursor, 'COUNT', batchSize,
      )) as [string, Entry[]];
      if (entries.length > 0) {
        this.log.info({ count: entries.length }, 'claimed entries left pending by another consumer');
        await this.process(redis, entries);
      }
      cursor = next;
    } while (cursor !== '0-0' && !this.stopping);
  }

  /** Throws, without acking anything, when Postgres or Redis fails: the caller retries. */
  private async process(redis: RedisClient, entries: Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const { store, scripts, metrics } = this.deps;
    const endTimer = metrics.batchDuration.startTimer();
    const valid: Envelope[] = [];
    const sources = new Map<string, { entry: string; m: string }>();
    const dead: DeadLetter[] = [];
    for (const [entry, fields] of entries) {
      // Deleted from the stream while pending: nothing left to store, only the ack.
      if (fields === null) continue;
      const m = entryField(fields, ENVELOPE_FIELD);
      const envelope = m === undefined ? null : decodeEnvelope(m);
      if (envelope && storable(envelope)) {
        valid.push(envelope);
        sources.set(envelope.id, { entry, m: m! });
      } else {
        dead.push({ entry, m: m ?? JSON.stringify(fields), reason: 'undecodable' });
      }
    }

    const result = await store.append(valid);
    const committedAt = Date.now();
    for (const c of result.conflicts) dead.push({ ...sources.get(c.id)!, reason: 'seq_conflict' });
    if (dead.length > 0) await this.writeDeadLetters(redis, dead, result.conflicts);
    for (const epoch of new Set(result.conflicts.map((c) => c.ep))) {
      if (epoch !== undefined) await this.deps.regressed(this.partition, epoch, 'the worker found a seq already stored with another message');
    }
    await scripts.ack(this.stream, PERSIST_GROUP, entries.map(([id]) => id));

    metrics.batchSize.observe(entries.length);
    metrics.persisted.inc(result.inserted);
    metrics.duplicates.inc(result.duplicates);
    metrics.seqConflicts.inc(result.conflicts.length);
    metrics.dropped.inc(result.dropped);
    // Latency is only meaningful for first deliveries; a batch with duplicates
    // or drops cannot say which of its messages were written just now.
    if (result.duplicates === 0 && result.dropped === 0) {
      const conflicted = new Set(result.conflicts.map((c) => c.id));
      for (const e of valid) {
        if (!conflicted.has(e.id)) metrics.persistLatency.observe(Math.max(0, committedAt - e.ts) / 1000);
      }
    }
    if (result.dropped > 0) this.log.warn({ dropped: result.dropped }, 'dropped messages of deleted rooms');
    endTimer();
    this.log.debug({ entries: entries.length, ...countsOf(result) }, 'batch persisted');
  }

  private async writeDeadLetters(redis: RedisClient, dead: DeadLetter[], conflicts: readonly Envelope[]): Promise<void> {
    const pipe = redis.pipeline();
    for (const d of dead) {
      pipe.xadd(this.deadLetters, 'MAXLEN', '~', DEAD_LETTER_MAXLEN, '*', ENVELOPE_FIELD, d.m, 'reason', d.reason);
    }
    const replies = (await pipe.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0];
    for (const d of dead) this.deps.metrics.deadLetters.inc({ reason: d.reason });
    for (const c of conflicts) {
      this.log.error(
        { room: c.room, seq: c.seq, id: c.id, deadLetter: this.deadLetters },
        'seq conflict: another message holds this (room, seq); the room counter went backwards. Moved to dead letters',
      );
    }
    const undecodable = dead.filter((d) => d.reason === 'undecodable').map((d) => d.entry);
    if (undecodable.length > 0) {
      this.log.error({ entries: undecodable, deadLetter: this.deadLetters }, 'undecodable entries moved to dead letters');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/**
 * What Postgres would reject: a row it cannot take would fail its whole batch
 * on every retry, so such entries are dead-lettered instead.
 */
function storable(e: Envelope): boolean {
  return (
    UUID.test(e.id) &&
    UUID.test(e.room) &&
    UUID.test(e.uid) &&
    !`${e.un}${e.cmid}${e.body}`.includes('\u0000') &&
    Number.isSafeInteger(e.ts) &&
    e.ts >= 0 &&
    Number.isSafeInteger(e.seq) &&
    // decodeEnvelope checked the FileRef's shape and kind/file agreement;
    // jsonb additionally refuses NUL (and the rest of the publisher's rules
    // keep the stored file exactly the one that was published).
    (e.file === undefined || fileRefProblem(e.file) === null)
  );
}

function countsOf(r: { inserted: number; duplicates: number; dropped: number; conflicts: readonly unknown[] }) {
  return { inserted: r.inserted, duplicates: r.duplicates, dropped: r.dropped, conflicts: r.conflicts.length };
}

/** Starts one consumer per partition; if any fails to start, stops the others and rethrows. */
export async function startConsumers(deps: ConsumerDeps, partitions = PARTITIONS): Promise<PartitionConsumer[]> {
  const consumers = Array.from({ length: partitions }, (_, n) => new PartitionConsumer(n, deps));
  const started = await Promise.allSettled(consumers.map((c) => c.start()));
  const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await Promise.all(consumers.map((c) => c.stop()));
    throw failure.reason;
  }
  return consumers;
}
