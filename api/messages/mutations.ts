/**
 * Edits, deletions and reactions of messages. A message is found by (room,
 * seq) in Postgres or, before the worker has written it, in the Redis room
 * log; either way the change is recorded in Postgres (see migration 00005),
 * so it survives and applies once the message is persisted.
 */
import type { Sql } from '../../shared/db/connect.js';
import type { RoomLog } from '../../shared/ports.js';

export interface FoundMessage {
  id: string;
  /** Null when the author's account was deleted. */
  authorId: string | null;
  deleted: boolean;
}

export class MessageMutations {
  constructor(
    private readonly sql: Sql,
    private readonly roomLog: RoomLog,
  ) {}

  async find(room: string, seq: number): Promise<FoundMessage | null> {
    const [row] = await this.sql<{ id: string; author_id: string | null; deleted: boolean }[]>`
      select m.id, m.author_id, coalesce(e.deleted, m.deleted) as deleted
      from messages m left join message_edits e on e.room_id = m.room_id and e.seq = m.seq
      where m.room_id = ${room} and m.seq = ${seq}
    `;
    if (row) return { id: row.id, authorId: row.author_id, deleted: row.deleted };
    const logged = await this.roomLog.get(room, seq);
    if (!logged) return null;
    const [edit] = await this.sql<{ deleted: boolean }[]>`
      select deleted from message_edits where room_id = ${room} and seq = ${seq}
    `;
    return { id: logged.id, authorId: logged.from.id, deleted: edit?.deleted ?? false };
  }

  /** Replaces the text; returns when it was edited. A deleted message cannot be edited (null). */
  async edit(room: string, seq: number, body: string, by: string): Promise<Date | null> {
    return this.sql.begin(async (tx) => {
      const [edit] = await tx<{ edited_at: Date }[]>`
        insert into message_edits (room_id, seq, body, edited_by) values (${room}, ${seq}, ${body}, ${by})
        on conflict (room_id, seq) do update set body = excluded.body, edited_by = excluded.edited_by, edited_at = now()
          where not message_edits.deleted
        returning edited_at
      `;
      if (!edit) return null;
      await tx`update messages set body = ${body}, edited_at = ${edit.edited_at} where room_id = ${room} and seq = ${seq}`;
      return edit.edited_at;
    });
  }

  /** Leaves a tombstone (the seq stays, the text and reactions go). False if it was already deleted. */
  async delete(room: string, seq: number, by: string): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const [edit] = await tx<{ seq: number }[]>`
        insert into message_edits (room_id, seq, body, deleted, edited_by) values (${room}, ${seq}, '', true, ${by})
        on conflict (room_id, seq) do update set body = '', deleted = true, edited_by = excluded.edited_by, edited_at = now()
          where not message_edits.deleted
        returning seq
      `;
      if (!edit) return false;
      await tx`update messages set body = '', deleted = true, edited_at = now() where room_id = ${room} and seq = ${seq}`;
      await tx`delete from message_reactions where room_id = ${room} and seq = ${seq}`;
      return true;
    });
  }

  /** True when the reaction is new. */
  async react(room: string, seq: number, userId: string, emoji: string): Promise<boolean> {
    const rows = await this.sql`
      insert into message_reactions (room_id, seq, user_id, emoji) values (${room}, ${seq}, ${userId}, ${emoji})
      on conflict do nothing returning seq
    `;
    return rows.length > 0;
  }

  /** True when there was such a reaction. */
  async unreact(room: string, seq: number, userId: string, emoji: string): Promise<boolean> {
    const rows = await this.sql`
      delete from message_reactions where room_id = ${room} and seq = ${seq} and user_id = ${userId} and emoji = ${emoji}
      returning seq
    `;
    return rows.length > 0;
  }
}
