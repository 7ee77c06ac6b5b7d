/**
 * The logged-in page: banners, the top bar (message search, log out), the
 * navigation, and the open room. Rooms are addressed by the URL hash
 * (#/room/<id>); without one, the global room opens.
 */
import type { Invite, MyRoom } from '@parley/client';
import { errorText, field, h, replace } from '../dom.js';
import type { ChatStore } from '../store.js';
import { announcementBanner, connectionBanner } from './banners.js';
import { createRoomDialog, publicRoomsDialog, searchDialog } from './dialogs.js';
import { RoomView } from './room.js';
import { Sidebar } from './sidebar.js';
import { UploadsPanel } from './uploads.js';

const ROUTE = /^#\/room\/([0-9a-f-]{36})$/;

export class Shell {
  readonly el: HTMLElement;
  private readonly main = h('main', { id: 'main', class: 'main', tabindex: -1 });
  private readonly announcer = h('div', { class: 'sr-only', 'aria-live': 'polite', 'data-testid': 'announcer' });
  private readonly notice = h('p', { class: 'notice', role: 'alert', hidden: true, 'data-testid': 'notice' });
  private readonly sidebar: Sidebar;
  private readonly uploads: UploadsPanel;
  private view: RoomView | null = null;
  private readonly navToggle: HTMLButtonElement;
  private readonly onHash = () => this.route();

  constructor(
    private readonly store: ChatStore,
    private readonly logout: () => void,
  ) {
    const { client } = store;
    this.uploads = new UploadsPanel(client);
    this.sidebar = new Sidebar(store, {
      newRoom: () => createRoomDialog(client, (room) => this.joined(room)),
      browseRooms: () => publicRoomsDialog(client, (id) => store.rooms.has(id), (room) => this.joined(room), (id) => this.go(id)),
      openDm: async (username) => this.joined(await client.openDm(username)),
      accept: async (invite: Invite) => {
        const room = await client.acceptInvite(invite.room.id);
        await store.loadInvites();
        this.joined(room);
      },
      decline: async (invite: Invite) => {
        await client.declineInvite(invite.room.id);
        await store.loadInvites();
      },
    });
    const connection = connectionBanner(() => void client.connect().catch((err: unknown) => this.report(err)));
    const announcement = announcementBanner();
    store.on('connection', (state, info) => connection.update(state, info));
    store.on('announcement', (a) => announcement.show(a));
    store.on('removed', (room, why) => {
      if (this.view?.roomId === room) {
        this.showNotice(why);
        this.go(null);
      }
    });
    store.on('rooms', () => {
      // The room in the URL may have arrived just now (joined elsewhere, accepted).
      if (!this.view) this.route();
    });

    this.navToggle = h('button', { type: 'button', class: 'nav-toggle', 'aria-controls': 'sidebar', 'aria-expanded': 'false' }, 'Rooms');
    this.navToggle.addEventListener('click', () => this.toggleNav());
    this.sidebar.el.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || this.navToggle.getAttribute('aria-expanded') !== 'true') return;
      this.setNav(false);
      this.navToggle.focus();
    });
    const search = h(
      'form',
      { class: 'search-form', role: 'search', 'data-testid': 'search-form' },
      h('label', { for: 'message-search', class: 'sr-only' }, 'Search messages'),
      h('input', { id: 'message-search', name: 'q', type: 'search', placeholder: 'Search messages', maxlength: 200, 'data-testid': 'search-input' }),
      h('button', { type: 'submit' }, 'Search'),
    );
    search.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = field(search, 'q');
      if (q) searchDialog(client, q, (room) => this.go(room));
    });
    this.el = h(
      'div',
      { class: 'shell' },
      h('a', { href: '#composer', class: 'skip-link', onclick: (e: Event) => { e.preventDefault(); this.view?.focusComposer(); } }, 'Skip to the message box'),
      connection.el,
      announcement.el,
      h(
        'header',
        { class: 'topbar' },
        this.navToggle,
        h('p', { class: 'brand' }, 'parley'),
        search,
        h('p', { class: 'whoami', 'data-testid': 'whoami' }, store.me.username),
        h('button', { type: 'button', onclick: () => this.logout(), 'data-testid': 'logout' }, 'Log out'),
      ),
      this.notice,
      h('div', { class: 'layout' }, this.sidebar.el, this.main),
      this.announcer,
    );
    window.addEventListener('hashchange', this.onHash);
    this.sidebar.renderRooms();
    this.route();
  }

  destroy(): void {
    window.removeEventListener('hashchange', this.onHash);
    this.view?.destroy();
  }

  report(error: unknown): void {
    this.showNotice(errorText(error));
  }

  private showNotice(text: string): void {
    this.notice.textContent = text;
    this.notice.hidden = false;
    setTimeout(() => (this.notice.hidden = true), 8000);
  }

  private joined(room: MyRoom): void {
    this.store.addRoom(room);
    this.go(room.id);
  }

  /** Navigates to a room (or the default one). */
  private go(room: string | null): void {
    const hash = room ? `#/room/${room}` : '';
    if (location.hash === hash) this.route();
    else if (hash) location.hash = hash;
    else {
      history.replaceState(null, '', location.pathname);
      this.route();
    }
  }

  private route(): void {
    const wanted = ROUTE.exec(location.hash)?.[1] ?? null;
    const rooms = this.store.sortedRooms();
    const state = (wanted && this.store.rooms.get(wanted)) || (wanted ? null : rooms[0]) || null;
    if (state && this.view?.roomId === state.room.id) return;
    this.view?.destroy();
    this.view = null;
    this.setNav(false);
    if (!state) {
      replace(this.main, h('div', { class: 'empty-state' }, h('p', null, wanted && rooms.length ? 'That room is not one of yours.' : 'Loading your rooms…')));
      this.sidebar.setActive(null);
      return;
    }
    this.view = new RoomView(state, {
      store: this.store,
      uploads: this.uploads,
      announce: (text) => {
        // Re-setting the same text would not be spoken again.
        this.announcer.textContent = '';
        setTimeout(() => (this.announcer.textContent = text), 50);
      },
      report: (err) => this.report(err),
      onLeave: () => {
        this.store.rooms.delete(state.room.id);
        void this.store.loadRooms();
        this.go(null);
      },
    });
    replace(this.main, this.view.el);
    this.sidebar.setActive(state.room.id);
    document.title = `${state.room.kind === 'dm' ? '@' : '#'}${state.room.name} · parley`;
  }

  private toggleNav(): void {
    this.setNav(this.navToggle.getAttribute('aria-expanded') !== 'true');
  }

  /** Narrow screens: the navigation slides over the room. */
  private setNav(open: boolean): void {
    this.navToggle.setAttribute('aria-expanded', String(open));
    this.el.classList.toggle('nav-open', open);
    if (open) (this.sidebar.el.querySelector('a, button') as HTMLElement | null)?.focus();
  }
}
