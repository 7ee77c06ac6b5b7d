/**
 * MessagePublisher over Redis: each message goes through publish.lua, batched
 * with the others of the same event-loop turn and partition (PublishBatcher).
 *
 * The script refuses, writing nothing, when the room cannot be numbered
 * safely; each refusal is repaired here and the publish tried again:
 * - NOEPOCH: the partition has no epoch (new deployment, or Redis lost its
 *   data): one is established (RedisEpochs);
 * - NOSEQ: the room's counter is missing or from a lost epoch: it is seeded
 *   past every seq that may have been acked (SeqSeeder);
 * - REGRESSED: the counter is below the caller's floor, so Redis lost writes
 *   it had acknowledged: the epoch is replaced, which makes every counter of
 *   the partition stale, and the room is seeded past the loss.
 *
 * With `replication` set, an ack also waits until that many replicas have the
 * message (Redis WAIT, one per batch); a shortfall is `unavailable`, and the
 * client's retry with the same cmid waits again for the original.
 *
 * Publishes a process makes to one room get seqs in the order it made them,
 * repairs included: one repair per room at a time, which every refused
 * publish of the room waits for (in the order it was refused: one connection
 * answers in order), and which publishes made meanwhile wait for before
 * their first try.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connect.js';
import { ParleyError } from '../errors.js';
import { fileRefProblem } from './envelope.js';
import { partitionOf, type RedisKeys } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import { PublishBatcher } from './publish-batch.js';
import type { StreamsConfig } from '../config/slices.js';
import type { Accepted, MessagePublisher, PublishInput } from '../ports.js';
import type { RedisEpochs } from './redis-epochs.js';
import type { SeqSeeder } from './seq-seeder.js';

export interface RedisPublisherDeps {
  scripts: Scripts;
  keys: RedisKeys;
  config: Pick<StreamsConfig, 'roomLogMaxLen' | 'persistMaxBacklog' | 'dedupTtlSeconds' | 'publishBatchMax'>;
  epochs: RedisEpochs;
  seeder: SeqSeeder;
  /** Replicas every ack waits for (WAIT on the connection the scripts run on); absent: none. */
  replication?: { redis: RedisClient; replicas: number; timeoutMs: number } | undefined;
  /** Observes the messages per publish.lua call (parley_publish_batch_messages). */
  batchSizes?: { observe(messages: number): void } | undefined;
}

/** Refusals repaired before giving up: an epoch, a seed, a bump, a seed after it, and one spare. */
const ATTEMPTS = 5;

export class RedisPublisher implements MessagePublisher {
  /** The repair under way per room; publishes to the room wait for it. */
  private readonly repairs = new Map<string, Promise<void>>();
  private readonly batcher: PublishBatcher;

  constructor(private readonly deps: RedisPublisherDeps) {
    this.batcher = new PublishBatcher({
      scripts: deps.scripts,
      keys: deps.keys,
      config: deps.config,
      replication: deps.replication,
      batchSizes: deps.batchSizes,
    });
  }

  async publish(input: PublishInput): Promise<Accepted> {
    const attachment = attachmentOf(input);
    const id = randomUUID();
    const acceptedAt = Date.now();
    const room = input.room;
    // Only while a repair runs: the common path takes no extra turn.
    const repairing = this.repairs.get(room);
    if (repairing) await repairing.catch(() => undefined);
    for (let attempt = 1; ; attempt++) {
      let refusal: string;
      try {
        return await this.tryPublish(input, attachment, id, acceptedAt);
      } catch (err) {
        if (err instanceof ParleyError) throw err;
        refusal = err instanceof Error ? err.message : '';
        if (attempt >= ATTEMPTS || !/^(NOEPOCH|NOSEQ|REGRESSED)\b/.test(refusal)) throw translate(err);
      }
      let repair = this.repairs.get(room);
      if (!repair) {
        repair = this.repair(room, refusal, input.floor ?? 0).finally(() => this.repairs.delete(room));
        this.repairs.set(room, repair);
      }
      try {
        await repair;
      } catch (err) {
        throw translate(err);
      }
    }
  }

  private async repair(room: string, refusal: string, floor: number): Promise<void> {
    if (refusal.startsWith('NOEPOCH')) await this.deps.epochs.current(partitionOf(room));
    else if (refusal.startsWith('NOSEQ')) await this.deps.seeder.ensure(room, floor);
    else await this.deps.epochs.bump(partitionOf(room), refusal.split(' ')[1] ?? '', `publish in room ${room} found its counter below ${floor}`);
  }

  private async tryPublish(input: PublishInput, attachment: string, id: string, acceptedAt: number): Promise<Accepted> {
    const { keys } = this.deps;
    const room = input.room;
    const { partition, keys: publishKeys, channel } = keys.publishKeys(room, input.author.id, input.cmid);
    const [status, value] = await this.batcher.submit(partition, {
      keys: publishKeys,
      fields: [
        channel,
        id,
        room,
        input.author.id,
        input.author.username,
        input.cmid,
        input.kind,
        input.body,
        acceptedAt,
        attachment,
        input.floor ?? 0,
      ],
    });
    if (status === 1) return { id, room, seq: value, acceptedAt, duplicate: false };
    if (status === 0) {
      const [seq, originalId, originalAt] = value.split(':');
      return { id: originalId!, room, seq: Number(seq), acceptedAt: Number(originalAt), duplicate: true };
    }
    if (status === -2) throw new ParleyError('unavailable', value, { retryAfterMs: 500 });
    // A refusal: publish() repairs what it can and retries.
    throw new Error(value);
  }
}

/**
 * publish.lua's attachment field: the file as JSON, '' for a text message. Checked
 * here, before anything is written, because an accepted message must reach
 * Postgres: a file the worker could not store would be acked and then lost.
 */
function attachmentOf(input: PublishInput): string {
  if (input.kind === 'text') {
    if (input.file !== undefined) throw new ParleyError('bad_request', 'a text message cannot carry a file');
    return '';
  }
  if (input.file === undefined) throw new ParleyError('bad_request', 'a file message needs its file');
  // Only the FileRef's own fields: the object may be a wider row the caller had.
  const { id, name, size, contentType } = input.file;
  const file = { id, name, size, contentType };
  const problem = fileRefProblem(file);
  if (problem !== null) throw new ParleyError('bad_request', problem);
  return JSON.stringify(file);
}

function translate(err: unknown): Error {
  if (err instanceof ParleyError) return err;
  if (err instanceof Error && err.message.startsWith('BACKLOG')) return new ParleyError('overloaded', undefined, { cause: err, retryAfterMs: 1000 });
  return new ParleyError('unavailable', undefined, { cause: err, retryAfterMs: 500 });
}
