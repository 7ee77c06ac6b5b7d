/**
 * Server announcements: rows in Postgres (the record, paged by the api), and
 * the newest few as JSON in a capped Redis LIST (`latestAnnouncements`), from
 * which gateways greet each new socket after `welcome`.
 *
 * Only server admins (`users.is_admin`, granted with admin-cli) may post. The
 * check is part of the INSERT itself, so an admin revoked a moment earlier
 * cannot slip a post through between a check and the write.
 */
import type { RedisClient } from '../shared/redis/connect.js';
import type { Sql } from '../shared/db/connect.js';
import { ParleyError } from '../shared/errors.js';
import type { Announcement } from '../shared/protocol/frames.js';
import type { RedisKeys } from '../shared/redis/keys.js';

interface AnnouncementRow {
  id: string;
  author_id: string | null;
  author_name: string;
  body: string;
  created_at: Date;
  /** Keyset position: created_at as Postgres text (microseconds kept; see rooms/repository.ts). */
  k_ts: string;
}

/** Shown as the author once the account is deleted (as for messages). */
const DELETED_USER_ID = '00000000-0000-0000-0000-000000000000';

export interface AnnouncementsDeps {
  sql: Sql;
  redis: RedisClient;
  keys: RedisKeys;
  /** How many announcements the Redis list keeps (ANNOUNCEMENTS_KEEP_LATEST). */
  keepLatest: number;
}

export class Announcements {
  constructor(private readonly deps: AnnouncementsDeps) {}

  /** Stores an announcement by `authorId`; `forbidden` unless that user is a server admin now. */
  async post(authorId: string, body: string): Promise<Announcement> {
    const [row] = await this.deps.sql<AnnouncementRow[]>`
      insert into announcements (author_id, author_name, body)
      select u.id, u.username, ${body} from users u where u.id = ${authorId} and u.is_admin
      returning id, author_id, author_name, body, created_at, created_at::text as k_ts
    `;
    if (!row) throw new ParleyError('forbidden', 'Only server admins may post announcements');
    return presentAnnouncement(row);
  }

  /**
   * Puts a stored announcement at the head of the Redis list and trims the
   * list to the newest `keepLatest`, in one MULTI so no reader sees it longer.
   */
  async remember(announcement: Announcement): Promise<void> {
    const key = this.deps.keys.latestAnnouncements();
    const results = await this.deps.redis
      .multi()
      .lpush(key, JSON.stringify(announcement))
      .ltrim(key, 0, this.deps.keepLatest - 1)
      .exec();
    const failed = results?.find(([err]) => err !== null);
    if (!results || failed) throw failed?.[0] ?? new Error('MULTI was discarded');
  }

  /** Newest first. */
  async list(limit: number, after: [ts: string, id: string] | undefined): Promise<(Announcement & { k_ts: string })[]> {
    const db = this.deps.sql;
    // (created_at desc, id) matches the announcements_created_at index.
    const rows = await db<AnnouncementRow[]>`
      select id, author_id, author_name, body, created_at, created_at::text as k_ts
      from announcements
      ${
        after
          ? db`where created_at < ${after[0]}::text::timestamptz
                 or (created_at = ${after[0]}::text::timestamptz and id > ${after[1]}::uuid)`
          : db``
      }
      order by created_at desc, id
      limit ${limit}
    `;
    return rows.map((row) => ({ ...presentAnnouncement(row), k_ts: row.k_ts }));
  }
}

function presentAnnouncement(row: AnnouncementRow): Announcement {
  return {
    id: row.id,
    author: { id: row.author_id ?? DELETED_USER_ID, username: row.author_name },
    body: row.body,
    createdAt: row.created_at.toISOString(),
  };
}
