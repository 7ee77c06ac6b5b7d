-- Room model: public/private/dm rooms with unique public names, fuzzy search,
-- invitations and bans.

create extension if not exists pg_trgm;

alter table rooms add column updated_at timestamptz not null default now();
-- A DM's key is its two user ids, sorted and joined with ':'; it makes "the one
-- 1:1 room between two users" a unique constraint rather than a race.
alter table rooms add column dm_key text unique;
alter table rooms add constraint rooms_dm_key_iff_dm check ((kind = 'dm') = (dm_key is not null));

-- Public room names are unique regardless of case; private names need not be.
create unique index rooms_public_name_key on rooms (lower(name)) where kind = 'public';
create index rooms_public_name_trgm on rooms using gin (lower(name) gin_trgm_ops) where kind = 'public';

-- A pending invitation: accepting it makes a membership, declining deletes it.
create table room_invites (
  room_id    uuid not null references rooms (id) on delete cascade,
  user_id    uuid not null references users (id) on delete cascade,
  invited_by uuid references users (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (room_id, user_id)
);
create index room_invites_user_id on room_invites (user_id);

-- A ban removes the membership and prevents joining or accepting an invite.
create table room_bans (
  room_id    uuid not null references rooms (id) on delete cascade,
  user_id    uuid not null references users (id) on delete cascade,
  banned_by  uuid references users (id) on delete set null,
  reason     text not null default '',
  created_at timestamptz not null default now(),
  primary key (room_id, user_id)
);

-- Exactly one owner per room (the global room has none).
create unique index room_members_one_owner on room_members (room_id) where role = 'owner';
