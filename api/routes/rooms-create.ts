import { CreateRoomRequest, MyRoom, Problem } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { presentMyRoom } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/** POST /v1/rooms — creates a public or private room; the caller is its owner. */
export function roomsCreateRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/rooms',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['rooms'],
        summary: 'Create a room (the caller becomes its owner)',
        body: CreateRoomRequest,
        response: { 201: MyRoom, 400: Problem, 401: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { name, topic = '', visibility } = request.body;
      const room = await deps.rooms.transaction(async (tx) => {
        const id = await tx.createRoom(visibility, name.trim(), topic.trim(), me.userId);
        return tx.room(id, me.userId);
      });
      await announce(deps.publishControl, request.log, [
        { type: 'membership_changed', room: room.id, change: 'joined', user: actorOf(me), actor: null, role: 'owner' },
      ]);
      return reply.code(201).send(presentMyRoom(room, 'owner'));
    },
  );
}
