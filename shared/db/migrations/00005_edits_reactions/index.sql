-- Edits, deletions (tombstones) and reactions.
--
-- A message may be edited while it still lives only in the Redis room log (the
-- worker has not written it yet), so edits are recorded by (room, seq) without a
-- foreign key to messages. They are applied to the messages row when it exists,
-- and re-applied by a trigger when the worker inserts it later; history applies
-- them to messages still in the log.

alter table messages add column edited_at timestamptz;
alter table messages add column deleted boolean not null default false;

create table message_edits (
  room_id   uuid not null references rooms (id) on delete cascade,
  seq       bigint not null,
  body      text not null,
  deleted   boolean not null default false,
  edited_by uuid references users (id) on delete set null,
  edited_at timestamptz not null default now(),
  primary key (room_id, seq)
);

create function messages_apply_edits() returns trigger language plpgsql as $$
begin
  update messages m
  set body = e.body, deleted = e.deleted, edited_at = e.edited_at
  from message_edits e, inserted n
  where e.room_id = n.room_id and e.seq = n.seq and m.room_id = n.room_id and m.seq = n.seq;
  return null;
end $$;

create trigger messages_apply_edits after insert on messages
  referencing new table as inserted
  for each statement execute function messages_apply_edits();

create table message_reactions (
  room_id    uuid not null references rooms (id) on delete cascade,
  seq        bigint not null,
  user_id    uuid not null references users (id) on delete cascade,
  emoji      text not null,
  created_at timestamptz not null default now(),
  primary key (room_id, seq, emoji, user_id)
);
