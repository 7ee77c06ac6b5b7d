/**
 * Rooms' current seqs: the last seq the publish script assigned, from the
 * rooms' Redis counters (`roomSeq`). That counter is ahead of Postgres (it
 * counts acked messages the worker has not persisted yet), so it is the one
 * that makes "unread" and "may not read past the end" agree with what clients
 * were delivered. A room whose counter is missing (no message since Redis
 * lost its data or since the room was created) falls back to Postgres's
 * highest seq, exactly what the publish path seeds the counter from.
 *
 * Any number of rooms costs one MGET plus, only when some counters are
 * missing, one Postgres query for all of those. (MGET spans hash slots, so a
 * Redis Cluster deployment would need it split per slot.)
 */
import type { Redis } from 'ioredis';
import type { Sql } from '../../shared/db/connect.js';
import { ParleyError } from '../../shared/errors.js';
import type { RedisKeys } from '../../shared/redis/keys.js';

export interface RoomSeqsDeps {
  sql: Sql;
  redis: Redis;
  keys: RedisKeys;
}

export class RoomSeqs {
  constructor(private readonly deps: RoomSeqsDeps) {}

  /**
   * The current seq of each room (0 for a room without messages).
   *
   * @param onRedisError when given, a failed MGET is reported to it and every
   *   room is answered from Postgres (which may lag by the unpersisted
   *   messages); without it the failure is `503 unavailable`.
   */
  async current(rooms: readonly string[], onRedisError?: (err: unknown) => void): Promise<Map<string, number>> {
    const seqs = new Map<string, number>();
    if (rooms.length === 0) return seqs; // MGET with no keys is an error
    const { redis, keys } = this.deps;
    let counters: (string | null)[];
    try {
      counters = await redis.mget(rooms.map((room) => keys.roomSeq(room)));
    } catch (err) {
      if (!onRedisError) throw new ParleyError('unavailable', undefined, { cause: err, retryAfterMs: 500 });
      onRedisError(err);
      counters = rooms.map(() => null);
    }
    const missing: string[] = [];
    rooms.forEach((room, i) => {
      const counter = counters[i];
      if (counter === null || counter === undefined) missing.push(room);
      else seqs.set(room, Number(counter));
    });
    if (missing.length > 0) {
      for (const [room, seq] of await this.persistedMax(missing)) seqs.set(room, seq);
    }
    return seqs;
  }

  /** Highest persisted seq per room, in one query (one index probe per room). */
  private async persistedMax(rooms: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.deps.sql<{ room: string; max: number | null }[]>`
      select r.room, (select max(m.seq) from messages m where m.room_id = r.room) as max
      from unnest(${rooms as string[]}::uuid[]) as r(room)
    `;
    return new Map(rows.map((r) => [r.room, r.max ?? 0]));
  }
}
