/**
 * Modal dialogs (native <dialog>: focus stays inside, Escape closes): create a
 * room, find and join public rooms, search messages.
 */
import type { MyRoom, ParleyClient, Room, SearchHit } from '@parley/client';
import { errorText, field, formatTime, h, replace } from '../dom.js';

function dialog(title: string, testid: string, ...body: HTMLElement[]): HTMLDialogElement {
  const titleId = `${testid}-title`;
  const el = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': titleId, 'data-testid': testid },
    h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, title), h('button', { type: 'button', class: 'link', onclick: () => el.close() }, 'Close')),
    ...body,
  );
  el.addEventListener('close', () => el.remove());
  document.body.append(el);
  el.showModal();
  return el;
}

export function createRoomDialog(client: ParleyClient, onCreated: (room: MyRoom) => void): void {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'stack', 'data-testid': 'create-room-form' },
    h('label', { for: 'new-room-name' }, 'Name'),
    h('input', { id: 'new-room-name', name: 'name', required: true, maxlength: 64, autocomplete: 'off', 'data-testid': 'create-room-name' }),
    h('label', { for: 'new-room-topic' }, 'Topic (optional)'),
    h('input', { id: 'new-room-topic', name: 'topic', maxlength: 256, autocomplete: 'off', 'data-testid': 'create-room-topic' }),
    h(
      'fieldset',
      null,
      h('legend', null, 'Who can join'),
      h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'visibility', value: 'public', checked: true, 'data-testid': 'create-room-public' }), ' Public: anyone can find and join it'),
      h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'visibility', value: 'private', 'data-testid': 'create-room-private' }), ' Private: by invitation only'),
    ),
    error,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'create-room-submit' }, 'Create room'),
  );
  const el = dialog('New room', 'create-room-dialog', form);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = field(form, 'name');
    const topic = field(form, 'topic');
    const visibility = (form.querySelector('input[name="visibility"]:checked') as HTMLInputElement).value as 'public' | 'private';
    if (!name) return;
    client.createRoom({ name, visibility, ...(topic ? { topic } : {}) }).then(
      (room) => {
        el.close();
        onCreated(room);
      },
      (err: unknown) => {
        error.textContent = errorText(err);
        error.hidden = false;
      },
    );
  });
}

export function publicRoomsDialog(client: ParleyClient, isMember: (id: string) => boolean, onJoined: (room: MyRoom) => void, onOpen: (id: string) => void): void {
  const results = h('ul', { class: 'result-list', 'data-testid': 'public-room-list', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'inline-form', role: 'search', 'data-testid': 'public-search-form' },
    h('label', { for: 'public-q', class: 'sr-only' }, 'Search public rooms'),
    h('input', { id: 'public-q', name: 'q', type: 'search', placeholder: 'Room name', maxlength: 64, autocomplete: 'off', 'data-testid': 'public-search' }),
    h('button', { type: 'submit' }, 'Search'),
  );
  const el = dialog('Find public rooms', 'public-rooms-dialog', form, results);
  const row = (room: Room) => {
    const member = isMember(room.id);
    const status = h('span', { class: 'form-error', role: 'alert' });
    const button = h('button', { type: 'button', class: member ? '' : 'primary', 'data-testid': 'public-room-join' }, member ? 'Open' : 'Join');
    button.addEventListener('click', () => {
      if (member) {
        el.close();
        onOpen(room.id);
        return;
      }
      button.disabled = true;
      client.join(room.id).then(
        (joined) => {
          el.close();
          onJoined(joined);
        },
        (err: unknown) => {
          button.disabled = false;
          status.textContent = errorText(err);
        },
      );
    });
    return h(
      'li',
      { 'data-testid': 'public-room-item', 'data-room-name': room.name },
      h('div', null, h('strong', null, `#${room.name}`), h('span', { class: 'muted' }, ` · ${room.memberCount} member${room.memberCount === 1 ? '' : 's'}`), room.topic ? h('p', { class: 'muted' }, room.topic) : null),
      button,
      status,
    );
  };
  const search = () => {
    replace(results, h('li', { class: 'muted' }, 'Searching…'));
    const q = field(form, 'q');
    client.publicRooms({ limit: 50, ...(q ? { q } : {}) }).then(
      (page) => replace(results, page.rooms.length ? page.rooms.map(row) : h('li', { class: 'muted' }, 'No rooms found.')),
      (err: unknown) => replace(results, h('li', { class: 'form-error' }, errorText(err))),
    );
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  search();
  void el;
}

/** A search snippet: the matches come wrapped in <mark>…</mark> in otherwise raw text; built as nodes, never as HTML. */
function snippet(text: string): (string | HTMLElement)[] {
  return text.split(/(<mark>.*?<\/mark>)/s).map((part) => (part.startsWith('<mark>') && part.endsWith('</mark>') ? h('mark', null, part.slice(6, -7)) : part));
}

export function searchDialog(client: ParleyClient, query: string, onOpen: (room: string) => void): void {
  const results = h('ul', { class: 'result-list', 'data-testid': 'search-results', 'aria-live': 'polite' }, h('li', { class: 'muted' }, 'Searching…'));
  const more = h('button', { type: 'button', hidden: true }, 'More results');
  const el = dialog(`Messages matching “${query}”`, 'search-dialog', results, more);
  let cursor: string | null = null;
  const hit = (m: SearchHit) =>
    h(
      'li',
      { 'data-testid': 'search-result', 'data-seq': m.seq },
      h(
        'a',
        { href: `#/room/${m.room}`, onclick: () => { el.close(); onOpen(m.room); } },
        h('span', { class: 'muted' }, `${m.roomKind === 'dm' ? '@' : '#'}${m.roomName} · ${m.from.username} · ${formatTime(m.createdAt)}`),
        h('p', null, snippet(m.snippet)),
      ),
    );
  const load = (first: boolean) => {
    more.hidden = true;
    client.search(query, { limit: 20, ...(cursor ? { cursor } : {}) }).then(
      (page) => {
        if (first) replace(results);
        if (first && page.results.length === 0) results.append(h('li', { class: 'muted' }, 'No messages found.'));
        results.append(...page.results.map(hit));
        cursor = page.nextCursor;
        more.hidden = !cursor;
      },
      (err: unknown) => replace(results, h('li', { class: 'form-error' }, errorText(err))),
    );
  };
  more.addEventListener('click', () => load(false));
  load(true);
}
