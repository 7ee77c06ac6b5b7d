/**
 * Log in or create an account. One form, two submit buttons: Enter logs in.
 */
import { ParleyRequestError } from '@parley/client';
import { errorText, field, h } from '../dom.js';

export type AuthMode = 'login' | 'register';

const MESSAGES: Partial<Record<string, string>> = {
  invalid_credentials: 'Wrong username or password.',
  username_taken: 'That username is taken.',
  bad_request: 'Usernames are 3–32 letters, digits, “_”, “.” or “-”; passwords at least 8 characters.',
  rate_limited: 'Too many attempts; wait a moment.',
};

export function loginView(onSubmit: (mode: AuthMode, username: string, password: string) => Promise<void>, notice?: string): HTMLElement {
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'login-error', hidden: !notice }, notice ?? '');
  const form = h(
    'form',
    { class: 'login-form', 'data-testid': 'login-form', 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title' }, 'parley'),
    h('p', { class: 'muted' }, 'Log in, or create an account.'),
    h('label', { for: 'login-username' }, 'Username'),
    h('input', {
      id: 'login-username',
      name: 'username',
      autocomplete: 'username',
      required: true,
      minlength: 3,
      maxlength: 32,
      autocapitalize: 'none',
      spellcheck: 'false',
      'data-testid': 'login-username',
    }),
    h('label', { for: 'login-password' }, 'Password'),
    h('input', {
      id: 'login-password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
      minlength: 8,
      'data-testid': 'login-password',
    }),
    error,
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'submit', value: 'login', class: 'primary', 'data-testid': 'login-submit' }, 'Log in'),
      h('button', { type: 'submit', value: 'register', 'data-testid': 'register-submit' }, 'Create account'),
    ),
  );
  form.addEventListener('submit', (event: SubmitEvent) => {
    event.preventDefault();
    const mode: AuthMode = (event.submitter as HTMLButtonElement | null)?.value === 'register' ? 'register' : 'login';
    const username = field(form, 'username');
    const password = (form.elements.namedItem('password') as HTMLInputElement).value;
    if (username.length < 3 || password.length < 8) {
      showError(MESSAGES.bad_request!);
      return;
    }
    const buttons = [...form.querySelectorAll('button')];
    buttons.forEach((b) => (b.disabled = true));
    form.setAttribute('aria-busy', 'true');
    onSubmit(mode, username, password)
      .catch((err: unknown) => showError((err instanceof ParleyRequestError && MESSAGES[err.code]) || errorText(err)))
      .finally(() => {
        buttons.forEach((b) => (b.disabled = false));
        form.removeAttribute('aria-busy');
      });
  });
  function showError(text: string): void {
    error.textContent = text;
    error.hidden = false;
  }
  queueMicrotask(() => (form.querySelector('#login-username') as HTMLInputElement | null)?.focus());
  return h('main', { class: 'login-page' }, form);
}
