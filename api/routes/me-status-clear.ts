import Type from 'typebox';
import { Problem } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { announceStatus } from '../presence/announce.js';
import type { RouteDeps } from './deps.js';

/** DELETE /v1/me/status — clears the caller's custom status (idempotent); `presence_changed` follows. */
export function meStatusClearRoute(app: App, deps: RouteDeps): void {
  app.delete(
    '/v1/me/status',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['presence'],
        summary: 'Clear my custom status',
        response: { 204: Type.Null(), 401: Problem, 503: Problem },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await deps.presence.setStatus(principal.userId, null);
      await announceStatus(deps, request.log, principal, null);
      return reply.code(204).send(null);
    },
  );
}
