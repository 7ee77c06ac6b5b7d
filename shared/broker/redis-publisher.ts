/**
 * MessagePublisher over Redis: one call to publish.lua per message.
 * When a room's counter is missing (new room, or Redis lost its data) the
 * script answers NOSEQ; we seed the counter from Postgres's highest seq with
 * seed.lua and try once more, so seqs never repeat what history already holds.
 */
import { randomUUID } from 'node:crypto';
import { ParleyError } from '../errors.js';
import { fileRefProblem } from './envelope.js';
import type { RedisKeys } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import type { StreamsConfig } from '../config/slices.js';
import type { Accepted, MessagePublisher, PublishInput } from '../ports.js';

export interface RedisPublisherDeps {
  scripts: Scripts;
  keys: RedisKeys;
  config: StreamsConfig;
  /** Highest seq already persisted for the room (Postgres), used to seed a missing counter. */
  persistedMaxSeq: (room: string) => Promise<number>;
}

export class RedisPublisher implements MessagePublisher {
  constructor(private readonly deps: RedisPublisherDeps) {}

  async publish(input: PublishInput): Promise<Accepted> {
    const attachment = attachmentOf(input);
    const id = randomUUID();
    const acceptedAt = Date.now();
    try {
      return await this.tryPublish(input, attachment, id, acceptedAt);
    } catch (err) {
      if (!isScriptError(err, 'NOSEQ')) throw translate(err);
    }
    try {
      const { keys, scripts } = this.deps;
      const persisted = await this.deps.persistedMaxSeq(input.room);
      await scripts.seed([keys.roomSeq(input.room), keys.roomLog(input.room)], persisted);
      return await this.tryPublish(input, attachment, id, acceptedAt);
    } catch (err) {
      throw translate(err);
    }
  }

  private async tryPublish(input: PublishInput, attachment: string, id: string, acceptedAt: number): Promise<Accepted> {
    const { keys, scripts, config } = this.deps;
    const room = input.room;
    const [fresh, value] = await scripts.publish(
      [keys.roomSeq(room), keys.roomLog(room), keys.persistStreamOfRoom(room), keys.publishDedup(room, input.author.id, input.cmid)],
      [
        keys.roomChannel(room),
        config.roomLogMaxLen,
        config.persistMaxBacklog,
        config.dedupTtlSeconds,
        id,
        room,
        input.author.id,
        input.author.username,
        input.cmid,
        input.kind,
        input.body,
        acceptedAt,
        attachment,
      ],
    );
    if (fresh === 1) return { id, room, seq: Number(value), acceptedAt, duplicate: false };
    const [seq, originalId, originalAt] = String(value).split(':');
    return { id: originalId!, room, seq: Number(seq), acceptedAt: Number(originalAt), duplicate: true };
  }
}

/**
 * publish.lua's ARGV[13]: the file as JSON, '' for a text message. Checked
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

function isScriptError(err: unknown, prefix: string): boolean {
  return err instanceof Error && err.message.startsWith(prefix);
}

function translate(err: unknown): Error {
  if (err instanceof ParleyError) return err;
  if (isScriptError(err, 'BACKLOG')) return new ParleyError('overloaded', undefined, { cause: err, retryAfterMs: 1000 });
  return new ParleyError('unavailable', undefined, { cause: err, retryAfterMs: 500 });
}
