import { HistoryQuery, HistoryResponse, Problem, RoomParams } from '../../shared/http/schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /v1/rooms/{id}/messages?before=&limit= — history, newest first.
 * Non-members get 404 whether or not the room exists, so ids cannot be probed.
 */
export function roomMessagesRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/rooms/:id/messages',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        params: RoomParams,
        querystring: HistoryQuery,
        response: { 200: HistoryResponse, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await deps.rooms.isMember(id, principalOf(request).userId))) throw new ParleyError('room_not_found');
      return deps.history.page(id, { before: request.query.before, limit: request.query.limit });
    },
  );
}
