import type { App } from '../http/app.js';
import type { RouteDeps } from './deps.js';
import { registerRoute } from './auth-register.js';
import { loginRoute } from './auth-login.js';
import { refreshRoute } from './auth-refresh.js';
import { logoutRoute } from './auth-logout.js';
import { meRoute } from './me.js';
import { jwksRoute } from './jwks.js';
import { roomMessagesRoute } from './room-messages.js';

export function registerRoutes(app: App, deps: RouteDeps): void {
  for (const route of [registerRoute, loginRoute, refreshRoute, logoutRoute, meRoute, jwksRoute, roomMessagesRoute]) {
    route(app, deps);
  }
}
