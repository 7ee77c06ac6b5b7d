import { Problem, Room, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decide, enforce } from '../rooms/policy.js';
import { presentRoom } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/** GET /v1/rooms/{id} — a room its members (or, if public, anyone not banned) can see. */
export function roomGetRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/v1/rooms/:id',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['rooms'],
        summary: 'Get a room',
        params: RoomParams,
        response: { 200: Room, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const { room, relation } = await deps.rooms.view(request.params.id, principalOf(request).userId);
      enforce(decide('get', relation, room));
      return presentRoom(room!);
    },
  );
}
