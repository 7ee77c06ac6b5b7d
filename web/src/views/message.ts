/**
 * One message: author, time, text or file, reactions, and the actions the
 * user may take on it (react; edit and delete their own; admins and owners
 * delete anyone's). Edits happen in place in a small form.
 */
import type { ChatMessage } from '@parley/client';
import { formatBytes, formatTime, h, replace } from '../dom.js';
import { reacted } from '../room-state.js';
import { icon } from '../icons.js';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '👀'];

export interface MessageActions {
  me: string;
  canModerate: boolean;
  edit(message: ChatMessage, body: string): Promise<void>;
  remove(message: ChatMessage): Promise<void>;
  toggleReaction(message: ChatMessage, emoji: string): Promise<void>;
  download(message: ChatMessage, link: HTMLAnchorElement): Promise<void>;
  report(error: unknown): void;
}

export function messageItem(message: ChatMessage, actions: MessageActions): HTMLLIElement {
  const li = h('li', {
    class: `message${message.from.id === actions.me ? ' mine' : ''}${message.deleted ? ' deleted' : ''}`,
    'data-testid': 'message',
    'data-seq': message.seq,
    'data-author': message.from.username,
    'data-kind': message.kind,
    'data-message-id': message.id,
  });
  fill(li, message, actions);
  return li;
}

/** Re-renders a message element in place (after an edit, delete or reaction), keeping its "seen by" line. */
export function updateMessageItem(li: HTMLLIElement, message: ChatMessage, actions: MessageActions): void {
  const seen = li.querySelector('.seen');
  li.classList.toggle('deleted', Boolean(message.deleted));
  fill(li, message, actions);
  if (seen) li.append(seen);
}

function fill(li: HTMLLIElement, message: ChatMessage, actions: MessageActions): void {
  const mine = message.from.id === actions.me;
  const meta = h(
    'div',
    { class: 'meta' },
    h('span', { class: 'author' }, message.from.username),
    ' ',
    h('time', { datetime: message.createdAt, title: new Date(message.createdAt).toLocaleString() }, formatTime(message.createdAt)),
    message.editedAt && !message.deleted ? h('span', { class: 'edited muted' }, ' (edited)') : null,
  );
  const content = message.deleted
    ? h('p', { class: 'body muted', 'data-testid': 'message-body' }, h('em', null, 'Message deleted'))
    : [
        message.body ? h('p', { class: 'body', 'data-testid': 'message-body' }, message.body) : null,
        message.kind === 'file' && message.file ? fileLink(message, actions) : null,
      ];
  const reactions = message.deleted ? null : reactionList(message, actions);
  const tools = message.deleted ? null : toolbar(message, mine, actions, li);
  replace(li, meta, content, reactions, tools);
}

function fileLink(message: ChatMessage, actions: MessageActions): HTMLElement {
  const file = message.file!;
  const link = h(
    'a',
    { href: '#', class: 'download', 'data-testid': 'download-link', 'data-filename': file.name, 'data-file-id': file.id },
    icon('file'),
    file.name,
  );
  link.addEventListener('click', (e) => {
    e.preventDefault();
    if (link.getAttribute('aria-busy') === 'true') return;
    link.setAttribute('aria-busy', 'true');
    actions
      .download(message, link)
      .catch(actions.report)
      .finally(() => link.removeAttribute('aria-busy'));
  });
  return h('p', { class: 'file' }, link, h('span', { class: 'muted' }, ` ${formatBytes(file.size)}`));
}

function reactionList(message: ChatMessage, actions: MessageActions): HTMLElement | null {
  if (!message.reactions?.length) return null;
  return h(
    'ul',
    { class: 'reactions', 'aria-label': 'Reactions' },
    message.reactions.map((r) => {
      const mine = reacted(message, r.emoji, actions.me);
      const who = r.users.map((u) => u.username).join(', ');
      return h(
        'li',
        null,
        h(
          'button',
          {
            type: 'button',
            class: 'reaction',
            'aria-pressed': mine ? 'true' : 'false',
            'aria-label': `${r.emoji} ${r.count}${who ? ` (${who})` : ''}; ${mine ? 'remove your reaction' : 'react'}`,
            title: who,
            onclick: () => void actions.toggleReaction(message, r.emoji).catch(actions.report),
          },
          `${r.emoji} ${r.count}`,
        ),
      );
    }),
  );
}

function toolbar(message: ChatMessage, mine: boolean, actions: MessageActions, li: HTMLLIElement): HTMLElement {
  const picker = h(
    'div',
    { class: 'picker', role: 'group', 'aria-label': 'Pick a reaction', hidden: true },
    QUICK_REACTIONS.map((emoji) =>
      h(
        'button',
        {
          type: 'button',
          'aria-label': `React with ${emoji}`,
          onclick: () => {
            picker.hidden = true;
            reactButton.setAttribute('aria-expanded', 'false');
            void actions.toggleReaction(message, emoji).catch(actions.report);
          },
        },
        emoji,
      ),
    ),
  );
  const reactButton = h(
    'button',
    {
      type: 'button',
      'aria-expanded': 'false',
      'aria-label': `React to ${message.from.username}'s message`,
      onclick: () => {
        picker.hidden = !picker.hidden;
        reactButton.setAttribute('aria-expanded', String(!picker.hidden));
        if (!picker.hidden) (picker.querySelector('button') as HTMLButtonElement).focus();
      },
    },
    'React',
  );
  const edit =
    mine && message.kind === 'text'
      ? h('button', { type: 'button', 'data-testid': 'message-edit', onclick: () => startEdit(li, message, actions) }, 'Edit')
      : null;
  const remove =
    mine || actions.canModerate
      ? h(
          'button',
          {
            type: 'button',
            'data-testid': 'message-delete',
            onclick: () => {
              if (confirm('Delete this message for everyone?')) void actions.remove(message).catch(actions.report);
            },
          },
          'Delete',
        )
      : null;
  return h('div', { class: 'tools' }, reactButton, edit, remove, picker);
}

function startEdit(li: HTMLLIElement, message: ChatMessage, actions: MessageActions): void {
  const body = li.querySelector('.body');
  if (!body || li.querySelector('form.edit')) return;
  const id = `edit-${message.id}`;
  const input = h('textarea', { id, name: 'body', rows: 2, required: true, 'data-testid': 'edit-input' });
  input.value = message.body;
  const form = h(
    'form',
    { class: 'edit' },
    h('label', { for: id, class: 'sr-only' }, 'Edit message'),
    input,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'edit-save' }, 'Save'), h('button', { type: 'button', onclick: () => cancel() }, 'Cancel')),
  );
  const cancel = () => {
    form.replaceWith(body);
    (li.querySelector('[data-testid="message-edit"]') as HTMLElement | null)?.focus();
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || text === message.body) return cancel();
    actions.edit(message, text).then(cancel, actions.report);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') cancel();
    else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  body.replaceWith(form);
  input.focus();
}
