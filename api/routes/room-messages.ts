import { HistoryQuery, HistoryResponse, Problem, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decide, enforce } from '../rooms/policy.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /v1/rooms/{id}/messages?before=&limit= — history, newest first.
 * Members read any room they belong to; anyone not banned may preview a
 * public room. A private room or DM answers 404 to non-members whether or not
 * it exists, so ids cannot be probed.
 */
export function roomMessagesRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/rooms/:id/messages',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['history'],
        summary: 'Read a room\'s history, newest first',
        params: RoomParams,
        querystring: HistoryQuery,
        response: { 200: HistoryResponse, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { room, relation } = await deps.rooms.view(id, principalOf(request).userId);
      enforce(decide('history', relation, room));
      return deps.history.page(id, { before: request.query.before, limit: request.query.limit });
    },
  );
}
