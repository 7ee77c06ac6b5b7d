-- Users, sessions and refresh tokens; rooms and membership; message history.

create table users (
  id            uuid primary key default gen_random_uuid(),
  username      text not null,
  password_hash text not null,
  created_at    timestamptz not null default now()
);
-- Usernames are unique regardless of case, so "Alice" cannot impersonate "alice".
create unique index users_username_key on users (lower(username));

-- A session is one login. Access tokens carry its id (`sid`); revoking it ends
-- every token and socket of that login.
create table sessions (
  id             uuid primary key default gen_random_uuid(),
  user_id        uuid not null references users (id) on delete cascade,
  created_at     timestamptz not null default now(),
  revoked_at     timestamptz,
  revoked_reason text
);
create index sessions_user_id on sessions (user_id);

-- Refresh tokens are stored hashed (SHA-256). Each refresh marks the presented
-- token used and issues a new one; presenting a used token revokes the session.
create table refresh_tokens (
  token_hash bytea primary key,
  session_id uuid not null references sessions (id) on delete cascade,
  issued_at  timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at    timestamptz
);
create index refresh_tokens_session_id on refresh_tokens (session_id);

create table rooms (
  id         uuid primary key default gen_random_uuid(),
  kind       text not null check (kind in ('global', 'public', 'private', 'dm')),
  name       text not null,
  topic      text not null default '',
  created_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now()
);
-- Exactly one global room can exist.
create unique index rooms_one_global on rooms ((true)) where kind = 'global';

create table room_members (
  room_id   uuid not null references rooms (id) on delete cascade,
  user_id   uuid not null references users (id) on delete cascade,
  role      text not null default 'member' check (role in ('owner', 'admin', 'member')),
  joined_at timestamptz not null default now(),
  primary key (room_id, user_id)
);
create index room_members_user_id on room_members (user_id);

-- The global room has a fixed id so every deployment and client agrees on it.
insert into rooms (id, kind, name) values ('00000000-0000-4000-8000-000000000001', 'global', 'global');

-- History. (room_id, seq) is the identity the worker's idempotent insert relies on.
create table messages (
  room_id      uuid not null references rooms (id) on delete cascade,
  seq          bigint not null check (seq > 0),
  id           uuid not null unique,
  author_id    uuid references users (id) on delete set null,
  author_name  text not null,
  cmid         text not null,
  kind         text not null,
  body         text not null,
  created_at   timestamptz not null,
  persisted_at timestamptz not null default now(),
  primary key (room_id, seq)
);
