import { GLOBAL_ROOM_ID, MeResponse, Problem } from '../../shared/http/schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { publicUser } from '../users.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/me — the authenticated user. */
export function meRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/me',
    { onRequest: requireAuth(deps.verify), schema: { tags: ['users'], summary: 'The authenticated user', response: { 200: MeResponse, 401: Problem } } },
    async (request) => {
      const principal = principalOf(request);
      const user = await deps.users.byId(principal.userId);
      if (!user) throw new ParleyError('unauthorized', 'The account no longer exists');
      return { user: publicUser(user), sessionId: principal.sessionId, globalRoomId: GLOBAL_ROOM_ID };
    },
  );
}
