import { NoContent, Problem, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import type { RouteDeps } from './deps.js';

/** POST /v1/rooms/{id}/leave — leaves a public or private room (an owner must transfer first). */
export function roomLeaveRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/rooms/:id/leave',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['membership'],
        summary: 'Leave a room',
        params: RoomParams,
        response: { 204: NoContent, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { id } = request.params;
      await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        enforce(decide('leave', relation, room));
        await tx.removeMember(id, me.userId);
      });
      await announce(deps.publishControl, request.log, [
        { type: 'membership_changed', room: id, change: 'left', user: actorOf(me), actor: null },
      ]);
      return reply.code(204).send(null);
    },
  );
}
