/**
 * RoomLog over the Redis room stream (entry id `<seq>-0`, field `m`). One
 * MULTI reads the entries after `after`, the counter and the oldest entry, so
 * the three agree: publish.lua changes them together, atomically.
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys.js';
import type { RoomLog, RoomLogSnapshot } from '../ports.js';
import type { ChatMessage } from '../protocol/frames.js';
import { decodeEntry, envelopeToMessage } from './envelope.js';

type Entries = [id: string, fields: string[]][];

const seqOf = (id: string) => Number(id.slice(0, id.indexOf('-')));

export class RedisRoomLog implements RoomLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async since(room: string, after: number): Promise<RoomLogSnapshot> {
    const log = this.keys.roomLog(room);
    const replies = await this.redis
      .multi()
      .xrange(log, `(${after}-0`, '+')
      .get(this.keys.roomSeq(room))
      .xrange(log, '-', '+', 'COUNT', 1)
      .exec();
    if (!replies) throw new Error('room log snapshot was aborted');
    for (const [err] of replies) if (err) throw err;
    const entries = replies[0]![1] as Entries;
    const counter = replies[1]![1] as string | null;
    const first = replies[2]![1] as Entries;
    const messages: ChatMessage[] = [];
    for (const [, fields] of entries) {
      const envelope = decodeEntry(fields);
      if (envelope) messages.push(envelopeToMessage(envelope));
    }
    const lastLogged = entries.length > 0 ? seqOf(entries[entries.length - 1]![0]) : 0;
    return {
      messages,
      // A missing counter (Redis lost it) is re-seeded on the next publish; the log is the best bound now.
      seq: Math.max(counter === null ? 0 : Number(counter), lastLogged),
      oldest: first.length > 0 ? seqOf(first[0]![0]) : null,
    };
  }
}
