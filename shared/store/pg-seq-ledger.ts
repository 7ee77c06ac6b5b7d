/**
 * SeqLedger over Postgres: the Redis epochs last recorded (`redis_epochs`),
 * the epoch each room's counter was seeded in (`rooms.seq_epoch`) and the seq
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
    return this.sql.begin(async (tx) => {
      // The row lock serialises seeders of one room: the second sees the
      // first's seq_epoch and skipped range, so both seed the same way.
      const [row] = await tx<{ seq_epoch: string | null; persisted: number | null; skipped: number | null }[]>`
        select r.seq_epoch,
          (select max(m.seq) from messages m where m.room_id = r.id) as persisted,
          (select max(g.to_seq) from room_seq_gaps g where g.room_id = r.id) as skipped
        from rooms r where r.id = ${room}
        for update of r
      `;
      if (!row) return { base: Math.max(options.floor, options.held), lost: null };
      // Surely kept: what Postgres has, what was skipped before, and what Redis still holds.
      const kept = Math.max(row.persisted ?? 0, row.skipped ?? 0, options.held);
      const known = Math.max(kept, options.floor);
      if (row.seq_epoch === epoch) return { base: known, lost: null };
      await tx`update rooms set seq_epoch = ${epoch} where id = ${room}`;
      if (row.seq_epoch === null || options.margin === 0) return { base: known, lost: null };
      // The counter belonged to an epoch that is gone: every acked message
      // past what is surely kept may be lost (there were at most `margin` of
      // them past Postgres, publish.lua's backlog bound), and their seqs must
      // not come back.
      const lost = { from: kept + 1, to: known + options.margin };
      await tx`
        insert into room_seq_gaps (room_id, from_seq, to_seq, epoch) values (${room}, ${lost.from}, ${lost.to}, ${epoch})
        on conflict (room_id, from_seq) do update set to_seq = greatest(room_seq_gaps.to_seq, excluded.to_seq)
      `;
      return { base: lost.to, lost };
    });
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
