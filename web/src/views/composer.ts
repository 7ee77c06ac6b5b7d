/**
 * The message composer: Enter sends, Shift+Enter starts a new line; typing
 * notifications go out at most every few seconds while the user types; the
 * file picker takes several files at once.
 */
import { h } from '../dom.js';
import { icon } from '../icons.js';

/** The server rate-limits typing frames (1/s, burst 3); one every 3 s keeps an indicator alive. */
const TYPING_EVERY_MS = 3000;

export interface ComposerActions {
  send(body: string): void;
  typing(): void;
  upload(files: File[]): void;
}

export function composer(label: string, actions: ComposerActions): { el: HTMLFormElement; focus(): void } {
  const input = h('textarea', {
    id: 'composer',
    name: 'body',
    rows: 1,
    class: 'composer-input',
    placeholder: `Message ${label}`,
    autocomplete: 'off',
    'data-testid': 'composer',
    'aria-describedby': 'composer-hint',
  });
  const files = h('input', {
    id: 'upload-input',
    type: 'file',
    multiple: true,
    class: 'sr-only file-input',
    'data-testid': 'upload-input',
  });
  const form = h(
    'form',
    { class: 'composer', 'data-testid': 'composer-form', 'aria-label': 'Send a message' },
    h('label', { for: 'composer', class: 'sr-only' }, `Message ${label}`),
    input,
    h('span', { id: 'composer-hint', class: 'sr-only' }, 'Enter sends; Shift+Enter adds a line.'),
    // The input first: its focus outlines the visible label that follows it.
    files,
    h('label', { for: 'upload-input', class: 'button file-button', title: 'Attach files' }, icon('clip'), h('span', { class: 'sr-only' }, 'Attach files')),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'send' }, 'Send'),
  );
  let lastTyping = 0;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    input.value = '';
    resize();
    lastTyping = 0;
    actions.send(body);
    input.focus();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', () => {
    resize();
    const now = Date.now();
    if (input.value.trim() && now - lastTyping > TYPING_EVERY_MS) {
      lastTyping = now;
      actions.typing();
    }
  });
  files.addEventListener('change', () => {
    const picked = [...(files.files ?? [])];
    files.value = '';
    if (picked.length) actions.upload(picked);
  });
  // Grow with the text up to a few lines.
  function resize(): void {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }
  return { el: form, focus: () => input.focus() };
}
