/**
 * The session (tokens) kept in localStorage, so a reload stays logged in.
 * The SDK refreshes the tokens and reports every change through its
 * 'session' event, which writes them back here.
 */
import type { Session } from '@parley/client';

const KEY = 'parley.session';

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    // A refresh token past its expiry cannot start anything: log in again.
    if (typeof session?.refreshToken !== 'string' || !(session.refreshExpiresAt > Date.now())) return null;
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  try {
    if (session) localStorage.setItem(KEY, JSON.stringify(session));
    else localStorage.removeItem(KEY);
  } catch {
    // Private mode or a full quota: the session then lasts as long as the page.
  }
}
