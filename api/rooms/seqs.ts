/**
 * Rooms' current seqs: the last seq the publish script assigned, from the
 * rooms' Redis counters (RoomLog.heads). That counter is ahead of Postgres (it
 * counts acked messages the worker has not persisted yet), so it is the one
 * that makes "unread" and "may not read past the end" agree with what clients
 * were delivered. A room whose counter is missing (no message since Redis
 * lost its data or since the room was created) falls back to Postgres: the
 * highest seq persisted or skipped after a loss, what the counter is seeded from.
 *
 * Any number of rooms costs one Redis round trip plus, only when some
 * counters are missing, one Postgres query for all of those.
 */
import type { Sql } from '../../shared/db/connect.js';
import { ParleyError } from '../../shared/errors.js';
import type { RoomLog } from '../../shared/ports.js';

export interface RoomSeqsDeps {
  sql: Sql;
  roomLog: RoomLog;
}

export class RoomSeqs {
  constructor(private readonly deps: RoomSeqsDeps) {}

  /**
   * The current seq of each room (0 for a room without messages).
   *
   * @param onRedisError when given, a failed Redis read is reported to it and
   *   every room is answered from Postgres (which may lag by the unpersisted
   *   messages); without it the failure is `503 unavailable`.
   */
  async current(rooms: readonly string[], onRedisError?: (err: unknown) => void): Promise<Map<string, number>> {
    const seqs = new Map<string, number>();
    if (rooms.length === 0) return seqs;
    let heads: Map<string, number | null>;
    try {
      heads = await this.deps.roomLog.heads(rooms);
    } catch (err) {
      if (!onRedisError) throw new ParleyError('unavailable', undefined, { cause: err, retryAfterMs: 500 });
      onRedisError(err);
      heads = new Map();
    }
    const missing: string[] = [];
    for (const room of rooms) {
      const head = heads.get(room);
      if (head === null || head === undefined) missing.push(room);
      else seqs.set(room, head);
    }
    if (missing.length > 0) {
      for (const [room, seq] of await this.persistedMax(missing)) seqs.set(room, seq);
    }
    return seqs;
  }

  /** Highest seq persisted or skipped per room, in one query (index probes per room). */
  private async persistedMax(rooms: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.deps.sql<{ room: string; max: number | null }[]>`
      select r.room, greatest(
        (select max(m.seq) from messages m where m.room_id = r.room),
        (select max(g.to_seq) from room_seq_gaps g where g.room_id = r.room)
      ) as max
      from unnest(${rooms as string[]}::uuid[]) as r(room)
    `;
    return new Map(rows.map((r) => [r.room, r.max ?? 0]));
  }
}
