-- Redis data loss, as Postgres remembers it (see docs/architecture.md,
-- "When Redis loses data"). Redis holds each room's seq counter; Postgres is
-- what survives when Redis does not.

-- The epoch of each persistence partition as last recorded: a random id kept
-- in Redis (`{pN}:epoch`). A different or missing one in Redis means Redis
-- lost the partition's data (or it was replaced after a seq regression).
create table redis_epochs (
  partition int primary key,
  epoch text not null,
  -- The epoch this one replaced; null for the first.
  previous text,
  changed_at timestamptz not null default now()
);

-- The epoch in which each room's Redis counter was last seeded. A room whose
-- counter belonged to an epoch that is gone may have had acked messages that
-- were never persisted: its counter is then seeded past every seq that may
-- have been acked. No row: never seeded since epochs exist. A table of its
-- own, not a column of `rooms`: the worker joins `rooms` on every batch, and
-- rewriting room rows at each seeding would leave it dead tuples to wade through.
create table room_seq_epochs (
  room_id uuid primary key references rooms(id) on delete cascade,
  epoch text not null
);

-- Seqs skipped by such a reseed: they may have belonged to acked messages that
-- were lost with Redis's data, and are never assigned again. History reports
-- them as gaps, so that clients stop looking for them.
create table room_seq_gaps (
  room_id uuid not null references rooms(id) on delete cascade,
  from_seq bigint not null,
  to_seq bigint not null,
  epoch text not null,
  created_at timestamptz not null default now(),
  primary key (room_id, from_seq),
  check (to_seq >= from_seq)
);

-- Where a room's counter may start in a Redis epoch (SeqLedger.reserve in
-- shared/ports.ts states the contract; shared/store/pg-seq-ledger.ts calls
-- it). One statement, so that seeding costs one round trip: a room's first
-- publish, and every room after a Redis data loss, waits for it.
-- The advisory lock serialises the seeders of one room: the second sees the
-- first's epoch and skipped range, so both seed the same way.
create function parley_reserve_seq(
  p_room uuid, p_epoch text, p_margin bigint, p_floor bigint, p_held bigint,
  out base bigint, out lost_from bigint, out lost_to bigint
) language plpgsql as $$
declare
  v_epoch text;
  v_kept bigint;
  v_known bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended(p_room::text, 1886610801));
  if not exists (select 1 from rooms where id = p_room) then
    base := greatest(p_floor, p_held);
    return;
  end if;
  select epoch into v_epoch from room_seq_epochs where room_id = p_room;
  -- Surely kept: what Postgres has, what was skipped before, what Redis still holds.
  v_kept := greatest(
    coalesce((select max(seq) from messages where room_id = p_room), 0),
    coalesce((select max(to_seq) from room_seq_gaps where room_id = p_room), 0),
    p_held
  );
  v_known := greatest(v_kept, p_floor);
  base := v_known;
  if v_epoch is not distinct from p_epoch then
    return;
  end if;
  insert into room_seq_epochs (room_id, epoch) values (p_room, p_epoch)
    on conflict (room_id) do update set epoch = excluded.epoch;
  if v_epoch is null or p_margin = 0 then
    return;
  end if;
  -- The counter belonged to an epoch that is gone: every acked message past
  -- what is surely kept may be lost (at most p_margin of them past Postgres,
  -- publish.lua's backlog bound), and their seqs must not come back.
  lost_from := v_kept + 1;
  lost_to := v_known + p_margin;
  insert into room_seq_gaps (room_id, from_seq, to_seq, epoch) values (p_room, lost_from, lost_to, p_epoch)
    on conflict (room_id, from_seq) do update set to_seq = greatest(room_seq_gaps.to_seq, excluded.to_seq);
  base := lost_to;
end $$;
