import { MyRoom, Problem, UsernameRequest } from '../../shared/http/schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { invalidRequest } from '../http/problem.js';
import { actorOf, announce, who } from '../rooms/events.js';
import { presentMyRoom } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/**
 * POST /v1/dms {username} — the one 1:1 room between the caller and that
 * user: 201 when this call created it, 200 when it existed. Concurrent first
 * calls create one room (unique dm_key, INSERT … ON CONFLICT).
 */
export function dmsOpenRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/dms',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['dms'],
        summary: 'Open (or create) my direct-message room with a user',
        body: UsernameRequest,
        response: { 200: MyRoom, 201: MyRoom, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const peer = await deps.users.byUsername(request.body.username);
      if (!peer) throw new ParleyError('user_not_found');
      if (peer.id === me.userId) throw invalidRequest('body', '/username', 'must be another user: a DM is between two users');
      const { room, created } = await deps.rooms.transaction(async (tx) => {
        const { id, created } = await tx.openDm(me.userId, peer.id);
        return { room: await tx.room(id, me.userId), created };
      });
      if (created) {
        await announce(deps.publishControl, request.log, [
          { type: 'membership_changed', room: room.id, change: 'joined', user: actorOf(me), actor: null, role: 'member' },
          { type: 'membership_changed', room: room.id, change: 'joined', user: who(peer), actor: actorOf(me), role: 'member' },
        ]);
      }
      return reply.code(created ? 201 : 200).send(presentMyRoom(room, 'member'));
    },
  );
}
