import { NoContent, Problem, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decide, enforce } from '../rooms/policy.js';
import type { RouteDeps } from './deps.js';

/** POST /v1/rooms/{id}/invites/decline — the invitee drops the invitation. */
export function roomInviteDeclineRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/rooms/:id/invites/decline',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['invites'],
        summary: 'Decline my invitation to a room',
        params: RoomParams,
        response: { 204: NoContent, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { id } = request.params;
      await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        enforce(decide('decline', relation, room));
        await tx.deleteInvite(id, me.userId);
      });
      return reply.code(204).send(null);
    },
  );
}
