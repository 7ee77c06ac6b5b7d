import { BansResponse, Problem, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decide, enforce } from '../rooms/policy.js';
import { presentBan } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/rooms/{id}/bans — the room's bans, newest first. */
export function roomBansRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/rooms/:id/bans',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['membership'],
        summary: 'List a room\'s bans (owner, admin)',
        params: RoomParams,
        response: { 200: BansResponse, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { room, relation } = await deps.rooms.view(id, principalOf(request).userId);
      enforce(decide('list_bans', relation, room));
      return { bans: (await deps.rooms.bans(id)).map(presentBan) };
    },
  );
}
