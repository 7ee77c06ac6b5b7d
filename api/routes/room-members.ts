import { MembersResponse, PageQuery, Problem, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decodeCursor, page } from '../rooms/cursor.js';
import { decide, enforce } from '../rooms/policy.js';
import { presentMember } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/rooms/{id}/members?limit=&cursor= — members in the order they joined. */
export function roomMembersRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/rooms/:id/members',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['membership'],
        summary: 'List a room\'s members',
        params: RoomParams,
        querystring: PageQuery,
        response: { 200: MembersResponse, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { limit, cursor } = request.query;
      const { room, relation } = await deps.rooms.view(id, principalOf(request).userId);
      enforce(decide('list_members', relation, room));
      const rows = await deps.rooms.members(id, limit + 1, decodeCursor('members', 2, cursor));
      const { items, nextCursor } = page(rows, limit, 'members', (r) => [r.k_ts, r.user_id], presentMember);
      return { members: items, nextCursor };
    },
  );
}
