import { NoContent, Problem, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import type { RouteDeps } from './deps.js';

/** DELETE /v1/rooms/{id} — the owner deletes the room, its memberships, invitations, bans and history. */
export function roomDeleteRoute(app: App, deps: RouteDeps): void {
  app.delete(
    '/v1/rooms/:id',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['rooms'],
        summary: 'Delete a room (owner)',
        params: RoomParams,
        response: { 204: NoContent, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { id } = request.params;
      await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        enforce(decide('delete', relation, room));
        await tx.deleteRoom(id);
      });
      await announce(deps.publishControl, request.log, [{ type: 'room_deleted', room: id, actor: actorOf(me) }]);
      return reply.code(204).send(null);
    },
  );
}
