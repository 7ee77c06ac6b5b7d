/**
 * The connection banner (driven by the SDK's state events) and the
 * announcement banner. Both sit in live regions, so screen readers hear them.
 */
import type { Announcement, ConnectionState } from '@parley/client';
import { h, replace } from '../dom.js';

/** Shown while the socket is down; silent while open. */
export function connectionBanner(onReconnect: () => void): { el: HTMLElement; update(state: ConnectionState, info: { attempt?: number; delayMs?: number }): void } {
  const text = h('span', { 'data-testid': 'connection-text' });
  const button = h('button', { type: 'button', hidden: true, onclick: onReconnect }, 'Reconnect');
  const el = h('div', { class: 'banner banner-connection', role: 'status', 'aria-live': 'assertive', 'data-testid': 'connection-banner', hidden: true, 'data-state': 'idle' }, text, button);
  // The first connect is quick: only say "Connecting…" if it takes a moment.
  let connectingTimer: ReturnType<typeof setTimeout> | null = null;
  return {
    el,
    update(state, info) {
      if (connectingTimer) clearTimeout(connectingTimer);
      connectingTimer = null;
      el.dataset.state = state;
      button.hidden = state !== 'closed';
      switch (state) {
        case 'open':
          el.hidden = true;
          text.textContent = '';
          return;
        case 'reconnecting':
          text.textContent = info.attempt && info.attempt > 1 ? `Reconnecting… (attempt ${info.attempt})` : 'Reconnecting…';
          el.hidden = false;
          return;
        case 'connecting':
          connectingTimer = setTimeout(() => {
            text.textContent = 'Connecting…';
            el.hidden = false;
          }, 1500);
          return;
        case 'closed':
          text.textContent = 'Disconnected.';
          el.hidden = false;
          return;
        default:
          return;
      }
    },
  };
}

const DISMISSED_KEY = 'parley.announcement.dismissed';

export function announcementBanner(): { el: HTMLElement; show(a: Announcement): void } {
  const body = h('p', { class: 'announcement-body' });
  const el = h(
    'section',
    { class: 'banner banner-announcement', 'aria-label': 'Announcement', 'aria-live': 'polite', 'data-testid': 'announcement-banner', hidden: true },
    h('strong', null, 'Announcement'),
    body,
  );
  let current: Announcement | null = null;
  const dismiss = h(
    'button',
    {
      type: 'button',
      class: 'link',
      onclick: () => {
        el.hidden = true;
        if (current) localStorage.setItem(DISMISSED_KEY, current.id);
      },
    },
    'Dismiss',
  );
  el.append(dismiss);
  return {
    el,
    show(a) {
      // Announcements arrive newest last after welcome; keep the newest.
      if (current && Date.parse(current.createdAt) > Date.parse(a.createdAt)) return;
      current = a;
      if (localStorage.getItem(DISMISSED_KEY) === a.id) return;
      replace(body, a.body, h('span', { class: 'muted' }, ` — ${a.author.username}`));
      el.hidden = false;
    },
  };
}
