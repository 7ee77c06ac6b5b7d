-- The references of messages to rooms and users are enforced per batch, not
-- per row. Only the worker writes messages (PgMessageStore.append), and its
-- INSERT already reads each batch's rooms and authors: it now also locks them
-- (FOR KEY SHARE, once per distinct id and batch), which is what a foreign
-- key check does for every row. Those two per-row checks were a quarter of
-- Postgres's CPU per stored message (scripts/worker-drain.ts: 51-56 → 39 ms
-- per 1,000 rows).
--
-- What the foreign keys did, these keep:
-- - a message's room exists when it is stored: the insert joins the locked
--   rows, and a room deleted meanwhile waits for the batch's commit, then
--   its trigger below deletes the batch's rows too (it runs after the wait,
--   with a fresh snapshot);
-- - `on delete cascade` from rooms and `on delete set null` from users: the
--   triggers below, in the deleting statement's transaction.
-- Unlike a foreign key, nothing stops another writer from inserting a
-- message of a missing room, or TRUNCATE from leaving messages behind: write
-- messages only through PgMessageStore.append.

alter table messages drop constraint messages_room_id_fkey;
alter table messages drop constraint messages_author_id_fkey;

create function rooms_delete_messages() returns trigger language plpgsql as $$
begin
  delete from messages where room_id = old.id;
  return null;
end $$;

create trigger rooms_delete_messages after delete on rooms
  for each row execute function rooms_delete_messages();

create function users_unset_message_author() returns trigger language plpgsql as $$
begin
  update messages set author_id = null where author_id = old.id;
  return null;
end $$;

create trigger users_unset_message_author after delete on users
  for each row execute function users_unset_message_author();
