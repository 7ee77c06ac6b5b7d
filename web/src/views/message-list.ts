/**
 * A room's messages in seq order, in a scroll container: older pages load
 * when the user scrolls near the top (or presses "Load older messages"),
 * keeping the view still; new messages keep the view at the bottom when it
 * was there. Messages being sent show below, marked as pending, until the
 * server has them.
 */
import type { ChatMessage } from '@parley/client';
import { h, replace } from '../dom.js';
import { seenMarks, sortedMessages, type RoomState } from '../room-state.js';
import { messageItem, updateMessageItem, type MessageActions } from './message.js';

/** Near the top by this much, the next older page loads. */
const LOAD_OLDER_PX = 200;
const BOTTOM_SLACK_PX = 48;

export interface Pending {
  cmid: string;
  body: string;
  retry(): void;
  discard(): void;
}

export class MessageList {
  readonly el: HTMLElement;
  private readonly list = h('ol', { class: 'message-list', 'data-testid': 'message-list' });
  private readonly pendingList = h('ol', { class: 'message-list pending-list', 'aria-label': 'Being sent' });
  private readonly status = h('div', { class: 'history-status' });
  private readonly items = new Map<number, HTMLLIElement>();
  private readonly pending = new Map<string, HTMLLIElement>();
  private initialised = false;
  /** The view was at the bottom at its last scroll. */
  private pinned = true;

  constructor(
    private readonly state: RoomState,
    private readonly actions: MessageActions,
    private readonly loadOlder: () => void,
    label: string,
  ) {
    this.el = h(
      'div',
      { class: 'scroller', tabindex: 0, role: 'region', 'aria-label': `Messages in ${label}`, 'data-testid': 'message-scroller' },
      this.status,
      this.list,
      this.pendingList,
    );
    this.el.addEventListener('scroll', () => {
      this.pinned = this.atBottom();
      if (this.el.scrollTop < LOAD_OLDER_PX) this.loadOlder();
    }, { passive: true });
    // A view at the bottom stays there when it changes size (window resized, uploads panel shown).
    new ResizeObserver(() => this.pinned && this.scrollToBottom()).observe(this.el);
  }

  atBottom(): boolean {
    return this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < BOTTOM_SLACK_PX;
  }

  scrollToBottom(): void {
    this.el.scrollTop = this.el.scrollHeight;
  }

  /** Adds every message of the room not shown yet, in place; older ones keep the view where it was. */
  sync(): void {
    const stick = !this.initialised || this.atBottom();
    const fromBottom = this.el.scrollHeight - this.el.scrollTop;
    const missing = sortedMessages(this.state).filter((m) => !this.items.has(m.seq));
    const first = this.firstSeq();
    const older = missing.filter((m) => first !== null && m.seq < first).reverse();
    const newer = missing.filter((m) => first === null || m.seq > first);
    for (const m of older) this.list.prepend(this.item(m));
    for (const m of newer) this.insert(this.item(m), m.seq);
    this.renderStatus();
    this.renderSeen();
    if (stick) this.scrollToBottom();
    else if (older.length > 0) this.el.scrollTop = this.el.scrollHeight - fromBottom;
    this.initialised = this.initialised || this.state.nextBefore !== undefined;
    // A short first page does not fill the view: there is nothing to scroll, so load on.
    if (this.state.nextBefore && this.el.scrollHeight <= this.el.clientHeight + LOAD_OLDER_PX) this.loadOlder();
  }

  /** A message changed (edit, delete, reaction) or arrived. */
  upsert(message: ChatMessage): void {
    const pending = this.pending.get(message.cmid);
    if (pending && message.from.id === this.actions.me) this.settle(message.cmid);
    const li = this.items.get(message.seq);
    if (li) updateMessageItem(li, message, this.actions);
    else this.sync();
  }

  addPending(p: Pending): void {
    const stick = this.atBottom();
    const li = h(
      'li',
      { class: 'message mine pending', 'data-testid': 'message-pending', 'data-cmid': p.cmid },
      h('div', { class: 'meta' }, h('span', { class: 'author' }, 'You'), ' ', h('span', { class: 'muted pending-state' }, 'sending…')),
      h('p', { class: 'body' }, p.body),
    );
    this.pending.set(p.cmid, li);
    this.pendingList.append(li);
    if (stick) this.scrollToBottom();
  }

  /** The publish failed for good: offer retry or discard. */
  failPending(cmid: string, reason: string, p: Pending): void {
    const li = this.pending.get(cmid);
    if (!li) return;
    li.classList.add('failed');
    replace(
      li.querySelector('.pending-state')!,
      h('span', { class: 'error-text' }, `not sent: ${reason}`),
      ' ',
      h('button', { type: 'button', class: 'small', onclick: () => { li.classList.remove('failed'); replace(li.querySelector('.pending-state')!, 'sending…'); p.retry(); } }, 'Retry'),
      h('button', { type: 'button', class: 'small', onclick: () => { this.settle(cmid); p.discard(); } }, 'Discard'),
    );
  }

  settle(cmid: string): void {
    this.pending.get(cmid)?.remove();
    this.pending.delete(cmid);
  }

  renderSeen(): void {
    for (const el of this.list.querySelectorAll('.seen')) el.remove();
    for (const [seq, names] of seenMarks(this.state)) {
      this.items.get(seq)?.append(h('p', { class: 'seen muted', 'data-testid': 'seen-by' }, `Seen by ${names.join(', ')}`));
    }
  }

  renderStatus(): void {
    const { nextBefore, loadingOlder, skipped } = this.state;
    const lost = skipped.length
      ? h('p', { class: 'muted' }, `${skipped.reduce((n, r) => n + r.to - r.from + 1, 0)} message(s) could not be recovered.`)
      : null;
    if (nextBefore === undefined || loadingOlder) replace(this.status, h('p', { class: 'muted', role: 'status' }, 'Loading messages…'), lost);
    else if (nextBefore === null) replace(this.status, h('p', { class: 'muted' }, 'This is the start of the conversation.'), lost);
    else replace(this.status, h('button', { type: 'button', class: 'link', onclick: () => this.loadOlder() }, 'Load older messages'), lost);
  }

  private item(m: ChatMessage): HTMLLIElement {
    const li = messageItem(m, this.actions);
    this.items.set(m.seq, li);
    return li;
  }

  private firstSeq(): number | null {
    const first = this.list.firstElementChild as HTMLElement | null;
    return first ? Number(first.dataset.seq) : null;
  }

  /** Inserts before the first shown message with a larger seq (live ones go last, the common case). */
  private insert(li: HTMLLIElement, seq: number): void {
    let after = this.list.lastElementChild as HTMLElement | null;
    while (after && Number(after.dataset.seq) > seq) after = after.previousElementSibling as HTMLElement | null;
    if (after) after.after(li);
    else this.list.prepend(li);
  }
}
