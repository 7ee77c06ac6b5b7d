/**
 * History with edits, tombstones and reactions applied, over any History.
 *
 * Edits live in `message_edits` by (room, seq), so they apply the same way to
 * messages read from Postgres and to messages still only in the Redis room
 * log. Two queries per page, whatever its size: one for edits, one for
 * reactions (counts, and the first REACTORS_SHOWN users of each).
 */
import type { Sql } from '../db/connect.js';
import type { History, HistoryPage } from '../ports.js';
import type { ChatMessage } from '../protocol/frames.js';

const REACTORS_SHOWN = 25;

interface EditRow {
  seq: number;
  body: string;
  deleted: boolean;
  edited_at: Date;
}

interface ReactionRow {
  seq: number;
  emoji: string;
  count: number;
  users: { id: string; username: string }[];
}

export class AnnotatedHistory implements History {
  constructor(
    private readonly sql: Sql,
    private readonly inner: History,
  ) {}

  async page(room: string, options: { before?: number | undefined; limit: number }): Promise<HistoryPage> {
    const page = await this.inner.page(room, options);
    if (page.messages.length === 0) return page;
    return { ...page, messages: await this.annotate(room, page.messages) };
  }

  async annotate(room: string, messages: ChatMessage[]): Promise<ChatMessage[]> {
    const seqs = messages.map((m) => m.seq);
    const [edits, reactions] = await Promise.all([
      this.sql<EditRow[]>`
        select seq, body, deleted, edited_at from message_edits
        where room_id = ${room} and seq = any(${seqs}::bigint[])
      `,
      this.sql<ReactionRow[]>`
        select r.seq, r.emoji, count(*)::int as count,
          json_agg(json_build_object('id', u.id, 'username', u.username) order by r.created_at, u.id) as users
        from message_reactions r join users u on u.id = r.user_id
        where r.room_id = ${room} and r.seq = any(${seqs}::bigint[])
        group by r.seq, r.emoji
        order by r.seq, min(r.created_at), r.emoji
      `,
    ]);
    const editOf = new Map(edits.map((e) => [e.seq, e]));
    const reactionsOf = new Map<number, ChatMessage['reactions'] & object>();
    for (const r of reactions) {
      let list = reactionsOf.get(r.seq);
      if (!list) reactionsOf.set(r.seq, (list = []));
      list.push({ emoji: r.emoji, count: r.count, users: r.users.slice(0, REACTORS_SHOWN) });
    }
    return messages.map((m) => {
      const edit = editOf.get(m.seq);
      const out: ChatMessage = { ...m };
      if (edit) {
        out.body = edit.deleted ? '' : edit.body;
        out.editedAt = edit.edited_at.toISOString();
        if (edit.deleted) {
          out.deleted = true;
          // A tombstone shows nothing of what was deleted: not the caption, not the file.
          delete out.file;
        }
      }
      const rs = reactionsOf.get(m.seq);
      if (rs && !edit?.deleted) out.reactions = rs;
      return out;
    });
  }
}
