import { MyRoom, Problem, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import { presentMyRoom } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/** POST /v1/rooms/{id}/join — joins a public room; answers the room with the caller's membership. */
export function roomJoinRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/rooms/:id/join',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['membership'],
        summary: 'Join a public room',
        params: RoomParams,
        response: { 200: MyRoom, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => {
      const me = principalOf(request);
      const { id } = request.params;
      const room = await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        enforce(decide('join', relation, room));
        await tx.addMember(id, me.userId, 'member');
        return tx.room(id, me.userId);
      });
      await announce(deps.publishControl, request.log, [
        { type: 'membership_changed', room: id, change: 'joined', user: actorOf(me), actor: null, role: 'member' },
      ]);
      return presentMyRoom(room, 'member');
    },
  );
}
