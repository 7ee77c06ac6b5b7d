/**
 * The web client's entry: reads the deployment's settings (/config.json),
 * restores the session from localStorage, and shows the login page or the
 * chat. The SDK refreshes tokens and reconnects by itself; a session that
 * ends (revoked, expired) returns to the login page.
 */
import { ParleyClient, type Session } from '@parley/client';
import './styles.css';
import { errorText, h, replace } from './dom.js';
import { loadRuntimeConfig } from './runtime-config.js';
import { loadSession, saveSession } from './session-store.js';
import { ChatStore } from './store.js';
import { loginView, type AuthMode } from './views/login.js';
import { Shell } from './views/shell.js';

const root = document.getElementById('app')!;

async function boot(): Promise<void> {
  const config = await loadRuntimeConfig();
  let shell: Shell | null = null;
  let client: ParleyClient;

  const showLogin = (notice?: string) => {
    shell?.destroy();
    shell = null;
    document.title = 'parley';
    replace(root, loginView(authenticate, notice));
  };

  const newClient = (session: Session | null) => {
    const c = new ParleyClient({ apiUrl: location.origin, wsUrl: config.wsUrl, session });
    c.on('session', (s) => saveSession(s));
    c.on('session_ended', () => {
      saveSession(null);
      showLogin('Your session ended. Please log in again.');
    });
    return c;
  };

  async function authenticate(mode: AuthMode, username: string, password: string): Promise<void> {
    client = newClient(null);
    await (mode === 'register' ? client.register(username, password) : client.login(username, password));
    await startChat();
  }

  async function startChat(): Promise<void> {
    const store = new ChatStore(client);
    replace(root, h('p', { class: 'boot', role: 'status' }, 'Connecting…'));
    await store.start();
    shell = new Shell(store, () => {
      void client.logout().catch(() => undefined);
      saveSession(null);
      showLogin();
    });
    replace(root, shell.el);
    // Connect after the views listen, so they see every state change; it reconnects by itself from here on.
    void client.connect().catch((err: unknown) => shell?.report(err));
  }

  const saved = loadSession();
  if (!saved) return showLogin();
  client = newClient(saved);
  try {
    await startChat();
  } catch (err) {
    // A stale session (refresh refused): start over at the login page.
    client.disconnect();
    saveSession(null);
    showLogin(`Please log in again (${errorText(err)}).`);
  }
}

boot().catch((err: unknown) => {
  replace(root, h('main', { class: 'login-page' }, h('p', { class: 'form-error', role: 'alert' }, `parley could not start: ${errorText(err)}`)));
});
