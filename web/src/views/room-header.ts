/**
 * A room's header: name and topic, the members panel (with presence), the
 * invite form (private rooms), and leaving.
 */
import type { ParleyClient } from '@parley/client';
import { errorText, h, replace } from '../dom.js';
import type { ChatStore } from '../store.js';
import type { RoomState } from '../room-state.js';
import { roomLabel } from './sidebar.js';

export function roomHeader(store: ChatStore, state: RoomState, onLeave: () => void): { el: HTMLElement; refresh(): void } {
  const client: ParleyClient = store.client;
  const { room } = state;
  const title = h('h2', { id: 'room-title', 'data-testid': 'room-title' }, roomLabel(state));
  const topic = h('p', { class: 'topic muted' }, room.topic);
  const members = h('ul', { class: 'member-list', 'data-testid': 'member-list' });
  const panel = h('section', { id: 'members-panel', class: 'members-panel', 'aria-label': 'Members', hidden: true }, h('h3', null, 'Members'), members);
  const toggle = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'members-panel', 'data-testid': 'members-toggle' }, `Members (${room.memberCount})`);
  toggle.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden) void loadMembers();
  });

  async function loadMembers(): Promise<void> {
    replace(members, h('li', { class: 'muted' }, 'Loading…'));
    try {
      const page = await client.members(room.id, { limit: 100 });
      await store.loadPresence(page.members.map((m) => m.user.id)).catch(() => undefined);
      replace(
        members,
        page.members.map((m) => {
          const online = store.online.get(m.user.id) === true;
          return h(
            'li',
            { 'data-testid': 'member', 'data-username': m.user.username },
            h('span', { class: `presence-dot ${online ? 'online' : 'offline'}`, 'aria-hidden': 'true' }),
            m.user.username,
            h('span', { class: 'sr-only' }, online ? ' (online)' : ' (offline)'),
            m.role === 'member' ? null : h('span', { class: 'muted' }, ` · ${m.role}`),
          );
        }),
      );
    } catch (err) {
      replace(members, h('li', { class: 'form-error' }, errorText(err)));
    }
  }

  const inviteStatus = h('p', { class: 'form-status', role: 'status', 'data-testid': 'invite-status' });
  const inviteForm =
    room.kind === 'private'
      ? h(
          'form',
          { class: 'inline-form invite-form', 'data-testid': 'invite-form', 'aria-label': 'Invite to this room' },
          h('label', { for: 'invite-username' }, 'Invite'),
          h('input', { id: 'invite-username', name: 'username', placeholder: 'Username', autocomplete: 'off', required: true, 'data-testid': 'invite-username' }),
          h('button', { type: 'submit', 'data-testid': 'invite-submit' }, 'Invite'),
        )
      : null;
  inviteForm?.addEventListener('submit', (e) => {
    e.preventDefault();
    const input = inviteForm.elements.namedItem('username') as HTMLInputElement;
    const username = input.value.trim();
    if (!username) return;
    inviteStatus.textContent = 'Inviting…';
    client.invite(room.id, username).then(
      () => {
        inviteStatus.textContent = `Invited ${username}.`;
        input.value = '';
        setTimeout(() => inviteStatus.textContent === `Invited ${username}.` && (inviteStatus.textContent = ''), 6000);
      },
      (err: unknown) => (inviteStatus.textContent = `Could not invite ${username}: ${errorText(err)}`),
    );
  });

  const canLeave = room.kind === 'public' || room.kind === 'private';
  const leave = canLeave
    ? h(
        'button',
        {
          type: 'button',
          onclick: () => {
            if (!confirm(`Leave ${roomLabel(state)}?`)) return;
            client.leave(room.id).then(onLeave, (err: unknown) => alert(errorText(err)));
          },
        },
        'Leave',
      )
    : null;

  const el = h(
    'header',
    { class: 'room-header' },
    h('div', { class: 'room-title' }, title, topic),
    h('div', { class: 'row room-actions' }, toggle, leave),
    inviteForm,
    inviteForm ? inviteStatus : null,
    panel,
  );
  return {
    el,
    refresh() {
      title.textContent = roomLabel(state);
      topic.textContent = state.room.topic;
      toggle.textContent = `Members (${state.room.memberCount})`;
      if (!panel.hidden) void loadMembers();
    },
  };
}
