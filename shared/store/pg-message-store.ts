/**
 * MessageStore and History over Postgres.
 *
 * `append` writes a whole batch with one INSERT … SELECT FROM unnest(…),
 * `ON CONFLICT (room_id, seq) DO NOTHING`, so redelivered batches are no-ops.
 * The SELECT joins rooms and left-joins users (each read by primary key for
 * the batch's ids, see below): a message whose room was
 * deleted while it was queued is skipped (otherwise its foreign key would fail
 * the whole batch on every retry, forever), and one whose author was deleted
 * is stored with a null author_id, as `on delete set null` would have left it.
 * Rows the insert skipped are then classified, in a second statement with a
 * fresh snapshot so rows committed concurrently by another worker count as
 * duplicates: room gone = dropped, same message id stored = duplicate
 * (harmless), otherwise a seq conflict (reported, never overwritten).
 */
import type { Sql } from '../db/connect.js';
import type { Envelope } from '../broker/envelope.js';
import type { AppendResult, History, HistoryPage, MessageStore } from '../ports.js';
import type { ChatMessage, FileRef } from '../protocol/frames.js';
import { gapsIn } from './pg-seq-ledger.js';

interface MessageRow {
  id: string;
  room_id: string;
  seq: number;
  author_id: string | null;
  author_name: string;
  cmid: string;
  kind: 'text' | 'file';
  body: string;
  /** jsonb, parsed by postgres.js: the FileRef of a file message, null for text. */
  attachment: FileRef | null;
  created_at: Date;
}

export class PgMessageStore implements MessageStore, History {
  constructor(private readonly sql: Sql) {}

  async append(batch: readonly Envelope[]): Promise<AppendResult> {
    if (batch.length === 0) return { inserted: 0, duplicates: 0, conflicts: [], dropped: 0 };
    const col = <K extends keyof Envelope>(k: K) => batch.map((e) => e[k]);
    // Attachments go as JSON text (null for text messages) in one text[]
    // parameter, cast to jsonb per row, so the batch stays one statement.
    // Not COPY into a staging table: profiled during a drain, parsing the
    // arrays is ~1 % of Postgres's time per row (index, GIN, trigger and
    // foreign key work is the rest, and COPY changes none of it), while a
    // staging table costs a second write of every row and more statements
    // per batch. The foreign keys stay: dropping them for per-batch locks and
    // delete triggers measured 14 % less Postgres CPU per row, not worth
    // integrity the database no longer enforces (scripts/worker-drain.ts).
    const attachments = batch.map((e) => (e.file === undefined ? null : JSON.stringify(e.file)));
    const rooms = [...new Set(col('room'))];
    const authors = [...new Set(col('uid'))];
    // rooms and users are read by primary key for this batch's distinct ids
    // only (`= any`), each once, in a materialized CTE. postgres.js prepares
    // this statement, and with batches of every size Postgres settles on a
    // generic plan: joined as whole tables, that plan hash-joined a sequential
    // scan of rooms and of users on every batch, which at a steady trickle of
    // a few rows per batch was most of Postgres's work. Not materialized, the
    // `= any` became an extra index condition of a nested loop, repeating the
    // whole array's lookups for every row (3x slower at 500 rows).
    const inserted = await this.sql<{ id: string }[]>`
      with r as materialized (select id from rooms where id = any(${rooms}::uuid[])),
           u as materialized (select id from users where id = any(${authors}::uuid[]))
      insert into messages (room_id, seq, id, author_id, author_name, cmid, kind, body, attachment, created_at)
      select t.room_id, t.seq, t.id, u.id, t.author_name, t.cmid, t.kind, t.body, t.attachment::jsonb, to_timestamp(t.ts / 1000.0)
      from unnest(
        ${col('room')}::uuid[], ${col('seq')}::bigint[], ${col('id')}::uuid[], ${col('uid')}::uuid[],
        ${col('un')}::text[], ${col('cmid')}::text[], ${col('kind')}::text[], ${col('body')}::text[],
        ${attachments}::text[], ${col('ts')}::float8[]
      ) as t(room_id, seq, id, author_id, author_name, cmid, kind, body, attachment, ts)
      join r on r.id = t.room_id
      left join u on u.id = t.author_id
      on conflict do nothing
      returning id
    `;
    if (inserted.length === batch.length) {
      return { inserted: inserted.length, duplicates: 0, conflicts: [], dropped: 0 };
    }

    // Postgres prints uuids in lower case; envelopes may not.
    const written = new Set(inserted.map((r) => r.id));
    const skipped = batch.filter((e) => !written.has(e.id.toLowerCase()));
    const status = await this.sql<{ n: number; stored: boolean; room: boolean }[]>`
      select t.n,
             exists (select 1 from messages m where m.id = t.id) as stored,
             exists (select 1 from rooms r where r.id = t.room_id) as room
      from unnest(${skipped.map((e) => e.id)}::uuid[], ${skipped.map((e) => e.room)}::uuid[])
        with ordinality as t(id, room_id, n)
    `;
    let duplicates = 0;
    let dropped = 0;
    const conflicts: Envelope[] = [];
    for (const row of status) {
      if (!row.room) dropped++;
      else if (row.stored) duplicates++;
      else conflicts.push(skipped[row.n - 1]!);
    }
    return { inserted: inserted.length, duplicates, conflicts, dropped };
  }

  async maxSeq(room: string): Promise<number> {
    const [row] = await this.sql<{ max: number | null }[]>`select max(seq) as max from messages where room_id = ${room}`;
    return row?.max ?? 0;
  }

  async page(room: string, options: { before?: number | undefined; limit: number }): Promise<HistoryPage> {
    const before = options.before ?? Number.MAX_SAFE_INTEGER;
    // One row more than asked tells whether an older page exists. The room's
    // skipped ranges below `before` are few (one per Redis data loss), so
    // they are read whole, at the same time, and cut to the page's span.
    const [rows, skipped] = await Promise.all([
      this.sql<MessageRow[]>`
        select id, room_id, seq, author_id, author_name, cmid, kind, body, attachment, created_at
        from messages
        where room_id = ${room} and seq < ${before}
        order by seq desc
        limit ${options.limit + 1}
      `,
      gapsIn(this.sql, room, 1, before - 1),
    ]);
    const more = rows.length > options.limit;
    const page = more ? rows.slice(0, options.limit) : rows;
    const lowest = more ? page[page.length - 1]!.seq : 1;
    return {
      messages: page.map(toMessage),
      nextBefore: more ? page[page.length - 1]!.seq : null,
      gaps: skipped.filter((g) => g.to >= lowest),
    };
  }
}

function toMessage(r: MessageRow): ChatMessage {
  return {
    id: r.id,
    room: r.room_id,
    seq: r.seq,
    kind: r.kind,
    from: { id: r.author_id ?? '00000000-0000-0000-0000-000000000000', username: r.author_name },
    body: r.body,
    // Field by field, as envelopeToMessage does: the frame codec rejects unknown properties.
    ...(r.attachment !== null && {
      file: { id: r.attachment.id, name: r.attachment.name, size: r.attachment.size, contentType: r.attachment.contentType },
    }),
    cmid: r.cmid,
    createdAt: r.created_at.toISOString(),
  };
}
