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

-- The epoch in which the room's Redis counter was last seeded. A room whose
-- counter belonged to an epoch that is gone may have had acked messages that
-- were never persisted: its counter is then seeded past every seq that may
-- have been acked. Null: never seeded since epochs exist.
alter table rooms add column seq_epoch text;

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
