-- A new member has read nothing *they were there for*: the room's earlier
-- history is not unread for them. Every way into a room (registration into the
-- global room, create, join, accept, DM) inserts a membership, so one trigger
-- covers them all. The highest persisted seq is read through the messages
-- primary key (room_id, seq); messages still only in the Redis log at that
-- moment count as unread, which is at most the worker's small backlog.
create function room_members_read_start() returns trigger language plpgsql as $$
begin
  new.last_read_seq := greatest(
    new.last_read_seq,
    coalesce((select m.seq from messages m where m.room_id = new.room_id order by m.seq desc limit 1), 0)
  );
  return new;
end $$;

create trigger room_members_read_start before insert on room_members
  for each row execute function room_members_read_start();
