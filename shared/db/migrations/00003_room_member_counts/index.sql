-- Room listings show a member count; counting room_members on every listing
-- would scan the global room's whole membership (every user). Keep a counter
-- on the room instead, maintained in the same transaction as the membership.
alter table rooms add column member_count integer not null default 0;
update rooms r set member_count = (select count(*) from room_members m where m.room_id = r.id);

create function room_members_count() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    update rooms set member_count = member_count + 1 where id = new.room_id;
  else
    update rooms set member_count = member_count - 1 where id = old.room_id;
  end if;
  return null;
end $$;

create trigger room_members_count after insert or delete on room_members
  for each row execute function room_members_count();

-- Keyset pagination orders: a room's members by join time, a user's rooms by join time.
create index room_members_room_joined on room_members (room_id, joined_at, user_id);
create index room_members_user_joined on room_members (user_id, joined_at, room_id);
drop index room_members_user_id;
