/**
 * The app's state, fed by the SDK: my rooms (with unread counts and their
 * messages), invitations, presence, announcements and the connection state.
 * Views subscribe to what they show; every change goes through here.
 *
 * Messages: the SDK delivers each live message exactly once in seq order; the
 * app also loads history pages. Both land in one map per room keyed by seq, so
 * the order is by seq and nothing shows twice whatever arrives first. After a
 * room's newest page loads, `setLastSeq` tells the SDK where the room stands
 * (when it has not seen the room live yet), so a reconnect resumes from there.
 */
import type { Announcement, ChatMessage, ConnectionState, MyRoom, ParleyClient, RoomEvent } from '@parley/client';
import { Emitter } from './emitter.js';
import { applyMessageEvent, newRoomState, newestSeq, type RoomState } from './room-state.js';
import type { Invite } from '@parley/client';

export const HISTORY_PAGE = 50;

interface StoreEvents {
  /** The room list changed (rooms added, removed, renamed, unread counts). */
  rooms: () => void;
  invites: () => void;
  /** A message was added or changed; `live` for new messages delivered now. */
  message: (room: string, message: ChatMessage, live: boolean) => void;
  /** Older messages were loaded into a room (or its history state changed). */
  history: (room: string) => void;
  typing: (room: string) => void;
  reads: (room: string) => void;
  presence: (userId: string) => void;
  announcement: (announcement: Announcement) => void;
  connection: (state: ConnectionState, info: { attempt?: number; delayMs?: number }) => void;
  /** I left or lost a room (kicked, banned, deleted). */
  removed: (room: string, why: string) => void;
}

export class ChatStore extends Emitter<StoreEvents> {
  readonly rooms = new Map<string, RoomState>();
  invites: Invite[] = [];
  readonly online = new Map<string, boolean>();
  /** Whether the user sees a room's newest messages now (set by the room view): live messages there are not unread. */
  viewing: (room: string) => boolean = () => false;
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly client: ParleyClient) {
    super();
    client.on('message', (m) => this.onMessage(m));
    client.on('event', (e) => this.onEvent(e));
    client.on('invited', () => void this.loadInvites());
    client.on('removed', (e) => this.dropRoom(e.room, e.event === 'member_left' ? 'You left the room' : 'You were removed from the room'));
    client.on('typing', (t) => this.onTyping(t.room, t.user, t.expiresInMs));
    client.on('presence', (p) => this.setOnline(p.user.id, p.online));
    client.on('announcement', (a) => this.emit('announcement', a));
    client.on('skip', (room, range) => {
      this.rooms.get(room)?.skipped.push(range);
      this.emit('history', room);
    });
    client.on('state', (state, info) => this.emit('connection', state, info));
    // After every (re)connect: rooms joined meanwhile, unread counts that moved while away.
    client.on('welcome', ({ rooms }) => {
      if (rooms.some((id) => !this.rooms.has(id))) this.scheduleReload();
      else void this.loadRooms();
    });
  }

  get me(): { id: string; username: string } {
    return this.client.user ?? { id: '', username: '' };
  }

  async start(): Promise<void> {
    await Promise.all([this.loadRooms(), this.loadInvites()]);
  }

  sortedRooms(): RoomState[] {
    return [...this.rooms.values()].sort((a, b) => (a.room.kind === 'global' ? -1 : b.room.kind === 'global' ? 1 : a.room.name.localeCompare(b.room.name)));
  }

  async loadRooms(): Promise<void> {
    const all: MyRoom[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.myRooms({ limit: 100, ...(cursor ? { cursor } : {}) });
      all.push(...page.rooms);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const seen = new Set<string>();
    for (const room of all) {
      seen.add(room.id);
      const state = this.rooms.get(room.id);
      if (!state) this.rooms.set(room.id, newRoomState(room));
      else {
        state.room = room;
        // A room on screen is being read; elsewhere the server's count is the truth.
        if (!this.viewing(room.id)) state.unread = room.unread;
      }
    }
    for (const id of [...this.rooms.keys()]) if (!seen.has(id)) this.dropRoom(id, 'You are no longer a member of this room');
    this.emit('rooms');
    const peers = all.flatMap((r) => (r.kind === 'dm' && r.peer ? [r.peer.id] : []));
    if (peers.length > 0) void this.loadPresence(peers);
  }

  async loadInvites(): Promise<void> {
    this.invites = await this.client.invites();
    this.emit('invites');
  }

  async loadPresence(userIds: string[]): Promise<void> {
    for (let i = 0; i < userIds.length; i += 200) {
      for (const entry of await this.client.presence(userIds.slice(i, i + 200))) this.setOnline(entry.userId, entry.online);
    }
  }

  /** Adds a room I just joined, created or accepted. */
  addRoom(room: MyRoom): void {
    if (!this.rooms.has(room.id)) this.rooms.set(room.id, newRoomState(room));
    this.emit('rooms');
  }

  /** Loads the newest page when the room's history is not loaded yet. */
  async ensureHistory(id: string): Promise<void> {
    const state = this.rooms.get(id);
    if (!state || state.nextBefore !== undefined || state.loadingOlder) return;
    state.loadingOlder = true;
    try {
      const page = await this.client.history(id, { limit: HISTORY_PAGE });
      for (const m of page.messages) if (!state.messages.has(m.seq)) state.messages.set(m.seq, m);
      state.nextBefore = page.nextBefore;
      // Until the SDK sees the room live, tell it where the room stands so a reconnect resumes from here.
      if (this.client.lastSeq(id) === undefined) this.client.setLastSeq(id, page.messages[0]?.seq ?? 0);
    } finally {
      state.loadingOlder = false;
    }
    this.emit('history', id);
  }

  /** Loads the next older page; false when there is none. */
  async loadOlder(id: string): Promise<boolean> {
    const state = this.rooms.get(id);
    if (!state || state.loadingOlder || typeof state.nextBefore !== 'number') return false;
    state.loadingOlder = true;
    this.emit('history', id);
    try {
      const page = await this.client.history(id, { before: state.nextBefore, limit: HISTORY_PAGE });
      for (const m of page.messages) if (!state.messages.has(m.seq)) state.messages.set(m.seq, m);
      state.nextBefore = page.nextBefore;
    } finally {
      state.loadingOlder = false;
    }
    this.emit('history', id);
    return true;
  }

  /** Moves my read position to the room's newest message, once per new message. */
  async markRead(id: string): Promise<void> {
    const state = this.rooms.get(id);
    if (!state) return;
    const seq = newestSeq(state);
    if (seq <= state.markedRead) {
      if (state.unread !== 0) {
        state.unread = 0;
        this.emit('rooms');
      }
      return;
    }
    state.markedRead = seq;
    state.unread = 0;
    this.emit('rooms');
    await this.client.markRead(id, seq);
  }

  /** Others' read positions of a room (members' `lastReadSeq`), for "seen by". */
  async loadReads(id: string): Promise<void> {
    const state = this.rooms.get(id);
    if (!state) return;
    const page = await this.client.members(id, { limit: 100 });
    for (const m of page.members) {
      if (m.user.id !== this.me.id) state.reads.set(m.user.id, { username: m.user.username, seq: m.lastReadSeq });
    }
    this.emit('reads', id);
    void this.loadPresence(page.members.map((m) => m.user.id));
  }

  private onMessage(message: ChatMessage): void {
    const state = this.rooms.get(message.room);
    if (!state) {
      // A room joined elsewhere (another tab, an accepted invite): fetch it.
      this.scheduleReload();
      return;
    }
    const isNew = !state.messages.has(message.seq);
    state.messages.set(message.seq, message);
    state.typing.delete(message.from.id);
    if (isNew && message.from.id !== this.me.id && !this.viewing(message.room)) {
      state.unread += 1;
      this.emit('rooms');
    }
    this.emit('message', message.room, message, isNew);
    this.emit('typing', message.room);
  }

  private onEvent(event: RoomEvent): void {
    const state = this.rooms.get(event.room);
    switch (event.event) {
      case 'message_edited':
      case 'message_deleted':
      case 'reaction_added':
      case 'reaction_removed': {
        const changed = state && applyMessageEvent(state, event);
        if (changed) this.emit('message', event.room, changed, false);
        return;
      }
      case 'read':
        if (!state || !event.user || event.seq === undefined) return;
        if (event.user.id === this.me.id) {
          // Read on another device.
          state.markedRead = Math.max(state.markedRead, event.seq);
          if (event.seq >= newestSeq(state) && state.unread !== 0) {
            state.unread = 0;
            this.emit('rooms');
          }
        } else {
          const before = state.reads.get(event.user.id)?.seq ?? 0;
          state.reads.set(event.user.id, { username: event.user.username, seq: Math.max(before, event.seq) });
          this.emit('reads', event.room);
        }
        return;
      case 'room_updated':
        if (state && event.settings) {
          state.room = { ...state.room, ...event.settings };
          this.emit('rooms');
        }
        return;
      case 'room_deleted':
        this.dropRoom(event.room, 'The room was deleted');
        return;
      case 'role_changed':
        if (state && event.user?.id === this.me.id && event.role) {
          state.room = { ...state.room, role: event.role };
          this.emit('rooms');
        }
        return;
      case 'member_joined':
        if (!state) this.scheduleReload();
        else if (event.user && event.user.id !== this.me.id) state.room = { ...state.room, memberCount: state.room.memberCount + 1 };
        return;
      default:
        return;
    }
  }

  private onTyping(room: string, user: { id: string; username: string }, expiresInMs: number): void {
    const state = this.rooms.get(room);
    if (!state || user.id === this.me.id) return;
    state.typing.set(user.id, { username: user.username, until: Date.now() + expiresInMs });
    this.emit('typing', room);
    setTimeout(() => this.emit('typing', room), expiresInMs + 50);
  }

  private setOnline(userId: string, online: boolean): void {
    if (this.online.get(userId) === online) return;
    this.online.set(userId, online);
    this.emit('presence', userId);
  }

  private dropRoom(id: string, why: string): void {
    if (!this.rooms.delete(id)) return;
    this.emit('removed', id, why);
    this.emit('rooms');
  }

  private scheduleReload(): void {
    if (this.reloadTimer) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      void this.loadRooms();
    }, 200);
  }
}
