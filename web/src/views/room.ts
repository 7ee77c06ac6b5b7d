/**
 * The open room: header, messages, who is typing, uploads and the composer.
 * Marks the room read while its newest messages are on screen, and reads new
 * messages from others out through the page's live region.
 */
import { ParleyRequestError } from '@parley/client';
import { errorText, h } from '../dom.js';
import type { ChatStore } from '../store.js';
import type { RoomState } from '../room-state.js';
import { roomLabel } from './sidebar.js';
import { composer } from './composer.js';
import { MessageList } from './message-list.js';
import { roomHeader } from './room-header.js';
import type { UploadsPanel } from './uploads.js';
import type { MessageActions } from './message.js';
import { saveDownload } from '../download.js';

export interface RoomViewDeps {
  store: ChatStore;
  uploads: UploadsPanel;
  /** Speaks text through the page's polite live region. */
  announce(text: string): void;
  /** Shows an error that has no better place. */
  report(error: unknown): void;
  onLeave(): void;
}

export class RoomView {
  readonly el: HTMLElement;
  readonly roomId: string;
  private readonly list: MessageList;
  private readonly typingLine = h('p', { class: 'typing muted', 'data-testid': 'typing-indicator', 'aria-live': 'polite' });
  private readonly header: ReturnType<typeof roomHeader>;
  private readonly composer: ReturnType<typeof composer>;
  private readonly unsubscribe: (() => void)[] = [];
  private readTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly state: RoomState,
    private readonly deps: RoomViewDeps,
  ) {
    const { store } = deps;
    const client = store.client;
    this.roomId = state.room.id;
    const label = roomLabel(state);
    const actions: MessageActions = {
      me: store.me.id,
      canModerate: state.room.role !== 'member',
      edit: (m, body) => client.edit(m.room, m.seq, body),
      remove: (m) => client.remove(m.room, m.seq),
      toggleReaction: (m, emoji) => {
        const mine = m.reactions?.some((r) => r.emoji === emoji && r.users.some((u) => u.id === store.me.id));
        return mine ? client.unreact(m.room, m.seq, emoji) : client.react(m.room, m.seq, emoji);
      },
      download: async (m, link) => saveDownload(await client.download(m.file!.id), m.file!.name, link),
      report: deps.report,
    };
    this.list = new MessageList(state, actions, () => void store.loadOlder(this.roomId).catch(deps.report), label);
    this.header = roomHeader(store, state, deps.onLeave);
    this.composer = composer(label, {
      send: (body) => this.send(body),
      typing: () => client.typing(this.roomId),
      upload: (files) => deps.uploads.add(this.roomId, label, files),
    });
    this.el = h(
      'section',
      { class: 'room', 'aria-labelledby': 'room-title', 'data-testid': 'room-view', 'data-room-id': this.roomId, 'data-room-name': state.room.name },
      this.header.el,
      this.list.el,
      this.typingLine,
      deps.uploads.el,
      this.composer.el,
    );
    // Dropping files anywhere on the room uploads them.
    this.el.addEventListener('dragover', (e) => e.preventDefault());
    this.el.addEventListener('drop', (e) => {
      e.preventDefault();
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length) deps.uploads.add(this.roomId, label, files);
    });

    this.unsubscribe.push(
      store.on('message', (room, message, live) => {
        if (room !== this.roomId) return;
        this.list.upsert(message);
        if (live && message.from.id !== store.me.id) deps.announce(`${message.from.username}: ${message.deleted ? 'message deleted' : message.body || message.file?.name || ''}`);
        this.scheduleRead();
      }),
      store.on('history', (room) => room === this.roomId && (this.list.sync(), this.scheduleRead())),
      store.on('typing', (room) => room === this.roomId && this.renderTyping()),
      store.on('reads', (room) => room === this.roomId && this.list.renderSeen()),
      store.on('rooms', () => this.header.refresh()),
    );
    this.list.el.addEventListener('scroll', () => this.scheduleRead(), { passive: true });
    const onVisible = () => this.scheduleRead();
    document.addEventListener('visibilitychange', onVisible);
    this.unsubscribe.push(() => document.removeEventListener('visibilitychange', onVisible));
    store.viewing = (room) => room === this.roomId && document.visibilityState === 'visible' && this.list.atBottom();

    this.list.sync();
    void store.ensureHistory(this.roomId).catch(deps.report);
    void store.loadReads(this.roomId).catch(() => undefined);
  }

  focusComposer(): void {
    this.composer.focus();
  }

  destroy(): void {
    for (const off of this.unsubscribe) off();
    if (this.readTimer) clearTimeout(this.readTimer);
    this.deps.store.viewing = () => false;
  }

  private send(body: string): void {
    const client = this.deps.store.client;
    const cmid = crypto.randomUUID();
    const attempt = () => {
      client.publish(this.roomId, body, { cmid }).then(
        // The message itself settles it when it shows (usually at once); this is the backstop.
        (ack) => (this.state.messages.has(ack.seq) ? this.list.settle(cmid) : setTimeout(() => this.list.settle(cmid), 5000)),
        (err: unknown) => this.list.failPending(cmid, err instanceof ParleyRequestError ? err.message : errorText(err), pending),
      );
    };
    const pending = { cmid, body, retry: attempt, discard: () => undefined };
    this.list.addPending(pending);
    attempt();
  }

  private renderTyping(): void {
    const now = Date.now();
    const names = [...this.state.typing.entries()].filter(([, t]) => t.until > now).map(([, t]) => t.username);
    for (const [id, t] of this.state.typing) if (t.until <= now) this.state.typing.delete(id);
    this.typingLine.textContent =
      names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : names.length <= 3 ? `${names.join(', ')} are typing…` : 'Several people are typing…';
  }

  /** Marks the room read shortly after its newest messages are seen (not while scrolled up or hidden). */
  private scheduleRead(): void {
    if (this.readTimer) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      if (this.deps.store.viewing(this.roomId)) void this.deps.store.markRead(this.roomId).catch(() => undefined);
    }, 400);
  }
}
