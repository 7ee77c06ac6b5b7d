import { Problem, SetStatusRequest, StatusResponse } from '../../shared/http/schemas.js';
import type { PresenceStatus } from '../../shared/ports.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { announceStatus } from '../presence/announce.js';
import type { RouteDeps } from './deps.js';

/**
 * PUT /v1/me/status {text, away} — sets the caller's custom status. `text` is
 * trimmed; empty clears the text. Empty text and not away is no status at
 * all, stored (and answered) as null, so "no status" has one form. The
 * status outlives sockets: it shows whenever the user is online. The
 * caller's shared small rooms learn of it through `presence_changed`.
 */
export function meStatusSetRoute(app: App, deps: RouteDeps): void {
  app.put(
    '/v1/me/status',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['presence'],
        summary: 'Set my custom status',
        body: SetStatusRequest,
        response: { 200: StatusResponse, 400: Problem, 401: Problem, 503: Problem },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const text = request.body.text.trim();
      const status: PresenceStatus | null = text === '' && !request.body.away ? null : { text, away: request.body.away };
      await deps.presence.setStatus(principal.userId, status);
      await announceStatus(deps, request.log, principal, status);
      return { status };
    },
  );
}
