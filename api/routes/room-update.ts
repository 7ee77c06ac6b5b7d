import { Problem, Room, RoomParams, UpdateRoomRequest } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import { presentRoom } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/** PATCH /v1/rooms/{id} — owner or admin changes the name, topic or visibility. */
export function roomUpdateRoute(app: App, deps: RouteDeps): void {
  app.patch(
    '/v1/rooms/:id',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['rooms'],
        summary: 'Change a room\'s name, topic or visibility (owner, admin)',
        params: RoomParams,
        body: UpdateRoomRequest,
        response: { 200: Room, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => {
      const me = principalOf(request);
      const { id } = request.params;
      const { name, topic, visibility } = request.body;
      const updated = await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        enforce(decide('update', relation, room));
        const change = {
          name: name?.trim() ?? room!.name,
          topic: topic?.trim() ?? room!.topic,
          // The policy allows updates only in public and private rooms.
          kind: visibility ?? (room!.kind as 'public' | 'private'),
        };
        await tx.updateRoom(id, change);
        return { row: await tx.room(id, me.userId), visibility: change.kind };
      });
      await announce(deps.publishControl, request.log, [
        {
          type: 'room_updated',
          room: id,
          name: updated.row.name,
          topic: updated.row.topic,
          visibility: updated.visibility,
          actor: actorOf(me),
        },
      ]);
      return presentRoom(updated.row);
    },
  );
}
