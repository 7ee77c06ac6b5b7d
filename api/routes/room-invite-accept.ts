import { MyRoom, Problem, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import { presentMyRoom } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/** POST /v1/rooms/{id}/invites/accept — the invitee joins; answers the room with their membership. */
export function roomInviteAcceptRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/rooms/:id/invites/accept',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['invites'],
        summary: 'Accept my invitation to a room',
        params: RoomParams,
        response: { 200: MyRoom, 400: Problem, 401: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => {
      const me = principalOf(request);
      const { id } = request.params;
      const room = await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        enforce(decide('accept', relation, room));
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
