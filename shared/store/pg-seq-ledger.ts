/**
 * SeqLedger over Postgres: the Redis epochs last recorded (`redis_epochs`),
 * the epoch each room's counter was seeded in (`room_seq_epochs`) and the seq
 * ranges skipped by reseeds after a loss (`room_seq_gaps`). See the SeqLedger
 * contract in shared/ports.ts and migration 00008.
 */
import type { Sql } from '../db/connect.js';
import type { SeqGap, SeqLedger, SeqReservation } from '../ports.js';

export class PgSeqLedger implements SeqLedger {
  constructor(private readonly sql: Sql) {}

  async recordEpoch(partition: number, epoch: string): Promise<{ previous: string | null } | null> {
    // `previous` is read from the row as it was before this statement: it is
    // null for the first epoch ever recorded, and nothing is returned when the
    // epoch was already recorded (by this process or another).
    const rows = await this.sql<{ previous: string | null }[]>`
      insert into redis_epochs as r (partition, epoch) values (${partition}, ${epoch})
      on conflict (partition) do update set epoch = excluded.epoch, previous = r.epoch, changed_at = now()
        where r.epoch <> excluded.epoch
      returning previous
    `;
    return rows[0] ?? null;
  }

  async reserve(room: string, epoch: string, options: { margin: number; floor: number; held: number }): Promise<SeqReservation> {
    // One round trip: parley_reserve_seq (migration 00008) takes the room's
    // seeding lock, reads what is kept, records the epoch and any skipped range.
    const [row] = await this.sql<{ base: number; lost_from: number | null; lost_to: number | null }[]>`
      select base, lost_from, lost_to
      from parley_reserve_seq(${room}::uuid, ${epoch}, ${options.margin}, ${options.floor}, ${options.held})
    `;
    return { base: row!.base, lost: row!.lost_from === null ? null : { from: row!.lost_from, to: row!.lost_to! } };
  }

  gaps(room: string, from: number, to: number): Promise<SeqGap[]> {
    return gapsIn(this.sql, room, from, to);
  }
}

/** Skipped ranges of the room that overlap [from, to], lowest first. */
export async function gapsIn(sql: Sql, room: string, from: number, to: number): Promise<SeqGap[]> {
  if (to < from) return [];
  const rows = await sql<{ from_seq: number; to_seq: number }[]>`
    select from_seq, to_seq from room_seq_gaps
    where room_id = ${room} and from_seq <= ${to} and to_seq >= ${from}
    order by from_seq
  `;
  return rows.map((r) => ({ from: r.from_seq, to: r.to_seq }));
}
