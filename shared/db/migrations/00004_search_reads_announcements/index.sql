-- Message search, read positions, server admins and announcements.

-- Full-text search over message bodies. 'simple' (no stemming, no stop words)
-- works for every language equally; websearch_to_tsquery parses user input safely.
alter table messages add column search tsvector generated always as (to_tsvector('simple', body)) stored;
create index messages_search on messages using gin (search);

-- Each member's last-read seq; it only moves forward.
alter table room_members add column last_read_seq bigint not null default 0 check (last_read_seq >= 0);

-- Server administrators may post announcements.
alter table users add column is_admin boolean not null default false;

create table announcements (
  id          uuid primary key default gen_random_uuid(),
  author_id   uuid references users (id) on delete set null,
  author_name text not null,
  body        text not null,
  created_at  timestamptz not null default now()
);
create index announcements_created_at on announcements (created_at desc, id);
