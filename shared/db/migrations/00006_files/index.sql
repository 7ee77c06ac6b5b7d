-- Files shared in rooms (uploaded over tus), and file messages.

create table files (
  id           uuid primary key,
  room_id      uuid not null references rooms (id) on delete cascade,
  uploader_id  uuid references users (id) on delete set null,
  -- The name the user gave; shown and sent in Content-Disposition, never used as a path.
  name         text not null,
  size         bigint not null check (size >= 0),
  content_type text not null,
  -- SHA-256 of the content, hex.
  sha256       text not null,
  -- Where the store keeps the bytes (server-generated, never user input).
  storage_key  text not null,
  created_at   timestamptz not null default now()
);
create index files_room_id on files (room_id);

-- A `file` message refers to its file: {id, name, size, contentType}.
alter table messages add column attachment jsonb;
