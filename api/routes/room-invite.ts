import { Invite, Problem, RoomParams, UsernameRequest } from '../../shared/http/schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce, who } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import { presentInvite } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/**
 * POST /v1/rooms/{id}/invites {username} — owner or admin invites a user:
 * 201 with the new invitation, 200 when one was already pending.
 */
export function roomInviteRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/rooms/:id/invites',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['invites'],
        summary: 'Invite a user to a room (owner, admin)',
        params: RoomParams,
        body: UsernameRequest,
        response: { 200: Invite, 201: Invite, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { id } = request.params;
      const target = await deps.users.byUsername(request.body.username);
      const { invite, created } = await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        // Refuse the caller before saying anything about the invitee.
        enforce(decide('invite', relation, room));
        if (!target) throw new ParleyError('user_not_found');
        enforce(decide('invite', relation, room, await tx.relation(id, target.id)));
        const created = await tx.invite(id, target.id, me.userId);
        return { invite: await tx.inviteOf(id, target.id), created };
      });
      if (created) {
        await announce(deps.publishControl, request.log, [
          { type: 'membership_changed', room: id, change: 'invited', user: who(target!), actor: actorOf(me) },
        ]);
      }
      return reply.code(created ? 201 : 200).send(presentInvite(invite));
    },
  );
}
