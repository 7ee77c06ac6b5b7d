import Type from 'typebox';
import { Problem } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import type { RouteDeps } from './deps.js';

/**
 * POST /v1/auth/logout — ends the caller's session: its refresh token stops
 * working, its access tokens are refused, and its live sockets are closed.
 */
export function logoutRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/auth/logout',
    { onRequest: requireAuth(deps.verify), schema: { tags: ['auth'], summary: 'Log out: revoke this session', response: { 204: Type.Null(), 401: Problem, 503: Problem } } },
    async (request, reply) => {
      await deps.sessions.revoke(principalOf(request).sessionId, 'logout');
      return reply.code(204).send(null);
    },
  );
}
