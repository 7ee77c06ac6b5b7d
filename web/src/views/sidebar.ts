/**
 * The navigation: pending invitations (accept/decline), rooms and direct
 * messages with unread badges and (for DMs) presence dots. Rooms are links
 * (#/room/<id>), so they work with the keyboard and the back button.
 */
import type { Invite } from '@parley/client';
import { errorText, h, replace } from '../dom.js';
import { icon } from '../icons.js';
import type { ChatStore } from '../store.js';
import type { RoomState } from '../room-state.js';

export interface SidebarActions {
  newRoom(): void;
  browseRooms(): void;
  openDm(username: string): Promise<void>;
  accept(invite: Invite): Promise<void>;
  decline(invite: Invite): Promise<void>;
}

export function roomLabel(state: RoomState): string {
  return state.room.kind === 'dm' ? `@${state.room.name}` : `#${state.room.name}`;
}

export class Sidebar {
  readonly el: HTMLElement;
  private readonly roomList = h('ul', { class: 'room-list', 'data-testid': 'room-list' });
  private readonly dmList = h('ul', { class: 'room-list', 'data-testid': 'dm-list' });
  private readonly inviteList = h('ul', { class: 'invite-list', 'data-testid': 'invite-list' });
  private readonly inviteSection: HTMLElement;
  private active: string | null = null;

  constructor(
    private readonly store: ChatStore,
    private readonly actions: SidebarActions,
  ) {
    this.inviteSection = h(
      'section',
      { class: 'nav-section', 'aria-labelledby': 'invites-title', hidden: true },
      h('h2', { id: 'invites-title' }, 'Invitations'),
      this.inviteList,
    );
    const dmError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const dmForm = h(
      'form',
      { class: 'inline-form', 'data-testid': 'dm-form' },
      h('label', { for: 'dm-username', class: 'sr-only' }, 'Username to message'),
      h('input', { id: 'dm-username', name: 'username', placeholder: 'Username', autocomplete: 'off', required: true, 'data-testid': 'dm-username' }),
      h('button', { type: 'submit', 'data-testid': 'dm-submit' }, 'Message'),
    );
    dmForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const input = dmForm.elements.namedItem('username') as HTMLInputElement;
      const username = input.value.trim();
      if (!username) return;
      dmError.hidden = true;
      this.actions.openDm(username).then(
        () => (input.value = ''),
        (err: unknown) => {
          dmError.textContent = errorText(err);
          dmError.hidden = false;
        },
      );
    });
    this.el = h(
      'nav',
      { id: 'sidebar', class: 'sidebar', 'aria-label': 'Rooms and direct messages' },
      this.inviteSection,
      h(
        'section',
        { class: 'nav-section', 'aria-labelledby': 'rooms-title' },
        h('div', { class: 'section-head' }, h('h2', { id: 'rooms-title' }, 'Rooms')),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', onclick: () => this.actions.newRoom(), 'data-testid': 'new-room' }, 'New room'),
          h('button', { type: 'button', onclick: () => this.actions.browseRooms(), 'data-testid': 'browse-rooms' }, 'Find rooms'),
        ),
        this.roomList,
      ),
      h('section', { class: 'nav-section', 'aria-labelledby': 'dms-title' }, h('h2', { id: 'dms-title' }, 'Direct messages'), dmForm, dmError, this.dmList),
    );
    store.on('rooms', () => this.renderRooms());
    store.on('presence', () => this.renderRooms());
    store.on('invites', () => this.renderInvites());
  }

  setActive(room: string | null): void {
    this.active = room;
    this.renderRooms();
  }

  renderRooms(): void {
    const rooms = this.store.sortedRooms();
    replace(this.roomList, rooms.filter((r) => r.room.kind !== 'dm').map((r) => this.item(r)));
    const dms = rooms.filter((r) => r.room.kind === 'dm');
    replace(this.dmList, dms.length ? dms.map((r) => this.item(r)) : h('li', { class: 'muted empty' }, 'No conversations yet'));
  }

  private item(state: RoomState): HTMLElement {
    const { room, unread } = state;
    const current = room.id === this.active;
    const peerOnline = room.kind === 'dm' && room.peer ? this.store.online.get(room.peer.id) === true : null;
    const label = `${roomLabel(state)}${room.kind === 'private' ? ' (private)' : ''}${unread > 0 ? `, ${unread} unread` : ''}${peerOnline === null ? '' : peerOnline ? ', online' : ', offline'}`;
    return h(
      'li',
      null,
      h(
        'a',
        {
          href: `#/room/${room.id}`,
          class: `room-item${unread > 0 ? ' has-unread' : ''}`,
          'aria-current': current ? 'page' : null,
          'aria-label': label,
          'data-testid': 'room-item',
          'data-room-name': room.name,
          'data-room-id': room.id,
        },
        peerOnline === null ? null : h('span', { class: `presence-dot ${peerOnline ? 'online' : 'offline'}`, 'aria-hidden': 'true' }),
        h('span', { class: 'room-name' }, roomLabel(state)),
        room.kind === 'private' ? icon('lock') : null,
        unread > 0 ? h('span', { class: 'badge', 'data-testid': 'unread-badge', 'aria-hidden': 'true' }, unread > 99 ? '99+' : String(unread)) : null,
      ),
    );
  }

  private renderInvites(): void {
    const invites = this.store.invites;
    this.inviteSection.hidden = invites.length === 0;
    replace(
      this.inviteList,
      invites.map((invite) => {
        const status = h('p', { class: 'form-error', role: 'alert', hidden: true });
        const act = (fn: (i: Invite) => Promise<void>) => (e: Event) => {
          const buttons = (e.currentTarget as HTMLElement).parentElement!.querySelectorAll('button');
          buttons.forEach((b) => (b.disabled = true));
          fn(invite).catch((err: unknown) => {
            status.textContent = errorText(err);
            status.hidden = false;
            buttons.forEach((b) => (b.disabled = false));
          });
        };
        return h(
          'li',
          { class: 'invite-item', 'data-testid': 'invite-item', 'data-room-name': invite.room.name },
          h('p', null, h('strong', null, `#${invite.room.name}`), h('span', { class: 'muted' }, invite.invitedBy ? ` from ${invite.invitedBy.username}` : '')),
          h(
            'div',
            { class: 'row' },
            h('button', { type: 'button', class: 'primary', onclick: act(this.actions.accept), 'data-testid': 'invite-accept', 'aria-label': `Accept invitation to ${invite.room.name}` }, 'Accept'),
            h('button', { type: 'button', onclick: act(this.actions.decline), 'data-testid': 'invite-decline', 'aria-label': `Decline invitation to ${invite.room.name}` }, 'Decline'),
          ),
          status,
        );
      }),
    );
  }
}
