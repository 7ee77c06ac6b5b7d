import { PresenceQuery, PresenceResponse, Problem } from '../../shared/http/schemas.js';
import { requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { presentPresence } from '../presence/present.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /v1/presence?user=<id>&user=<id>… — presence of 1–200 users, in request
 * order. Any authenticated user may ask about anyone: presence is not secret
 * within a deployment (every user shares the global room anyway). Answered
 * from Redis alone, in one read, so it costs O(ids asked) and never touches
 * Postgres; an id that is no user reads as never seen.
 */
export function presenceGetRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/presence',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['presence'],
        summary: 'Presence of several users',
        description: 'Online, last seen and custom status of each requested user, in request order.',
        querystring: PresenceQuery,
        response: { 200: PresenceResponse, 400: Problem, 401: Problem, 503: Problem },
      },
    },
    async (request) => {
      const states = await deps.presence.states(request.query.user);
      return { users: states.map(presentPresence) };
    },
  );
}
