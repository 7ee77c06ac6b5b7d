/**
 * One room as the app holds it: its messages by seq (history and live merge
 * here, so a message seen twice is kept once and order is always by seq),
 * how far back history is loaded, unread count, others' read positions and
 * who is typing. Pure state; the store changes it and tells the views.
 */
import type { ChatMessage, MyRoom, RoomEvent, SeqRange } from '@parley/client';

export interface RoomState {
  room: MyRoom;
  messages: Map<number, ChatMessage>;
  /** `before` for the next older page; null: nothing older; undefined: history not loaded yet. */
  nextBefore: number | null | undefined;
  loadingOlder: boolean;
  unread: number;
  /** Other members' read positions (user id → username and seq). */
  reads: Map<string, { username: string; seq: number }>;
  /** Who is typing now (user id → username and when the indicator lapses). */
  typing: Map<string, { username: string; until: number }>;
  /** Ranges the SDK gave up on (lost with Redis data). */
  skipped: SeqRange[];
  /** The highest seq sent with markRead. */
  markedRead: number;
}

export function newRoomState(room: MyRoom): RoomState {
  return {
    room,
    messages: new Map(),
    nextBefore: undefined,
    loadingOlder: false,
    unread: room.unread,
    reads: new Map(),
    typing: new Map(),
    skipped: [],
    markedRead: 0,
  };
}

export function newestSeq(state: RoomState): number {
  let max = 0;
  for (const seq of state.messages.keys()) if (seq > max) max = seq;
  return max;
}

export function sortedMessages(state: RoomState): ChatMessage[] {
  return [...state.messages.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Applies a message event (edit, delete, reaction) to the message it names.
 * Returns the changed message, or null when the app does not hold it (it is
 * then read fresh from history when that page loads).
 */
export function applyMessageEvent(state: RoomState, event: RoomEvent): ChatMessage | null {
  if (event.seq === undefined) return null;
  const message = state.messages.get(event.seq);
  if (!message) return null;
  let next: ChatMessage = message;
  switch (event.event) {
    case 'message_edited':
      next = { ...message, body: event.body ?? message.body, editedAt: new Date().toISOString() };
      break;
    case 'message_deleted':
      next = { ...message, body: '', deleted: true, reactions: [] };
      delete next.file;
      break;
    case 'reaction_added':
    case 'reaction_removed': {
      if (!event.emoji || !event.user) return null;
      next = { ...message, reactions: changeReaction(message.reactions ?? [], event.emoji, event.user, event.event === 'reaction_added') };
      break;
    }
    default:
      return null;
  }
  state.messages.set(next.seq, next);
  return next;
}

type Reactions = NonNullable<ChatMessage['reactions']>;

function changeReaction(reactions: Reactions, emoji: string, user: { id: string; username: string }, add: boolean): Reactions {
  const out = reactions.map((r) => ({ ...r, users: [...r.users] }));
  const index = out.findIndex((r) => r.emoji === emoji);
  const existing = out[index];
  if (add) {
    if (!existing) return [...out, { emoji, count: 1, users: [{ id: user.id, username: user.username }] }];
    if (existing.users.some((u) => u.id === user.id)) return out;
    existing.users.push({ id: user.id, username: user.username });
    existing.count += 1;
    return out;
  }
  if (!existing) return out;
  const had = existing.users.some((u) => u.id === user.id);
  existing.users = existing.users.filter((u) => u.id !== user.id);
  // Only 25 reactors are listed; an unlisted one still counts.
  existing.count -= had || existing.count > existing.users.length ? 1 : 0;
  if (existing.count <= 0) out.splice(index, 1);
  return out;
}

/** Whether `userId` reacted with `emoji` (as far as the listed reactors tell). */
export function reacted(message: ChatMessage, emoji: string, userId: string): boolean {
  return message.reactions?.some((r) => r.emoji === emoji && r.users.some((u) => u.id === userId)) ?? false;
}

/** The seq each listed member has read up to, grouped: seq of the newest held message at or below it → usernames. */
export function seenMarks(state: RoomState): Map<number, string[]> {
  const seqs = sortedMessages(state).map((m) => m.seq);
  const out = new Map<number, string[]>();
  for (const { username, seq } of state.reads.values()) {
    let at = 0;
    for (const s of seqs) if (s <= seq) at = s;
    if (at === 0) continue;
    out.set(at, [...(out.get(at) ?? []), username]);
  }
  return out;
}
