/**
 * Full-text search over persisted messages (Postgres): the generated
 * `messages.search` tsvector (to_tsvector('simple', body)) with its GIN index,
 * queried with websearch_to_tsquery('simple', q), which accepts any user input
 * without syntax errors. 'simple' does no stemming and drops no stop words, so
 * every language is treated alike.
 *
 * Scope is decided here in SQL, not by filtering afterwards: without a room,
 * only rooms the viewer is a member of *now* (so rooms they left, were kicked
 * or banned from drop out at once); with a room, that room alone, which the
 * route has already checked against the policy's `history` decision.
 *
 * Order: ts_rank descending, then newest first, then (room, seq) descending so
 * the order is total. Pages are keyset on exactly that tuple; the rank travels
 * as Postgres's own text for a real (shortest exact form since PostgreSQL 12),
 * so the boundary row compares equal to itself and is neither repeated nor
 * skipped. ts_headline is costly, so it runs only on the page's rows.
 */
import type { Sql } from '../../shared/db/connect.js';
import type { SearchHit } from '../../shared/http/schemas.js';
import type { RoomKind } from '../rooms/policy.js';

/** Keyset position after which a page starts: rank, created_at (both as Postgres text), room, seq. */
export type SearchAfter = [rank: string, ts: string, room: string, seq: string];

export interface SearchRow {
  id: string;
  room_id: string;
  seq: number;
  author_id: string | null;
  author_name: string;
  cmid: string;
  kind: 'text';
  body: string;
  created_at: Date;
  room_kind: RoomKind;
  room_name: string;
  peer_username: string | null;
  snippet: string;
  k_rank: string;
  k_ts: string;
}

/** The options the brief for search results fixes: two short fragments, matches marked. */
const HEADLINE_OPTIONS = 'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=20, MinWords=5';

/** Shown as the author of a message whose account was deleted (as in history). */
const DELETED_USER_ID = '00000000-0000-0000-0000-000000000000';

export class MessageSearch {
  constructor(private readonly sql: Sql) {}

  /**
   * One page of matches, best first. `room`: only that room (the caller
   * checked the viewer may read it); otherwise every room the viewer is a
   * member of.
   */
  async search(viewer: string, q: string, room: string | undefined, limit: number, after: SearchAfter | undefined): Promise<SearchRow[]> {
    const db = this.sql;
    return db<SearchRow[]>`
      with tsq as (select websearch_to_tsquery('simple', ${q}) as query)
      select h.id, h.room_id, h.seq, h.author_id, h.author_name, h.cmid, h.kind, h.body, h.created_at,
        h.room_kind, h.room_name, p.username as peer_username, h.k_rank, h.k_ts,
        ts_headline('simple', h.body, tsq.query, ${HEADLINE_OPTIONS}) as snippet
      from (
        select m.id, m.room_id, m.seq, m.author_id, m.author_name, m.cmid, m.kind, m.body, m.created_at,
          r.kind as room_kind, r.name as room_name, r.dm_key,
          ts_rank(m.search, tsq.query) as rank, ts_rank(m.search, tsq.query)::text as k_rank,
          m.created_at::text as k_ts
        from tsq, messages m
        join rooms r on r.id = m.room_id
        where m.search @@ tsq.query
          and ${
            room === undefined
              ? db`m.room_id in (select rm.room_id from room_members rm where rm.user_id = ${viewer})`
              : db`m.room_id = ${room}`
          }
          ${
            after
              ? db`and (ts_rank(m.search, tsq.query), m.created_at, m.room_id, m.seq)
                     < (${after[0]}::real, ${after[1]}::text::timestamptz, ${after[2]}::uuid, ${after[3]}::bigint)`
              : db``
          }
        order by rank desc, m.created_at desc, m.room_id desc, m.seq desc
        limit ${limit}
      ) h
      cross join tsq
      ${dmPeer(db, viewer)}
      order by h.rank desc, h.created_at desc, h.room_id desc, h.seq desc
    `;
  }
}

/**
 * A DM's other user, for its display name (a DM's own name is empty); as
 * rooms/repository.ts does for listings, over the page's alias `h`.
 */
const dmPeer = (db: Sql, viewer: string) => db`
  left join lateral (
    select u.username from users u
    where h.room_kind = 'dm' and u.id::text = any(string_to_array(h.dm_key, ':')) and u.id <> ${viewer}
  ) p on true`;

export function presentHit(row: SearchRow): SearchHit {
  return {
    id: row.id,
    room: row.room_id,
    seq: row.seq,
    kind: row.kind,
    from: { id: row.author_id ?? DELETED_USER_ID, username: row.author_name },
    body: row.body,
    cmid: row.cmid,
    createdAt: row.created_at.toISOString(),
    snippet: row.snippet,
    roomName: row.room_kind === 'dm' ? (row.peer_username ?? '') : row.room_name,
    roomKind: row.room_kind,
  };
}
