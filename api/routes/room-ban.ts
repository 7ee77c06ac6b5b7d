import { BanRequest, MemberParams, NoContent, Problem } from '../../shared/http/schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce, who } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import type { RouteDeps } from './deps.js';

/**
 * PUT /v1/rooms/{id}/bans/{userId} {reason?} — bans a user, member or not:
 * their membership and invitation go, and they cannot join or accept until
 * unbanned. Banning again only updates the reason.
 */
export function roomBanRoute(app: App, deps: RouteDeps): void {
  app.put(
    '/v1/rooms/:id/bans/:userId',
    {
      onRequest: requireAuth(deps.verify),
      // The body is optional: no body means no reason.
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
      schema: {
        tags: ['membership'],
        summary: 'Ban a user from a room (owner, admin)',
        params: MemberParams,
        body: BanRequest,
        response: { 204: NoContent, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { id, userId } = request.params;
      const reason = request.body?.reason?.trim() ?? '';
      const target = await deps.users.byId(userId);
      const banned = await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        enforce(decide('ban', relation, room));
        if (!target) throw new ParleyError('user_not_found');
        enforce(decide('ban', relation, room, await tx.relation(id, target.id)));
        return tx.ban(id, target.id, me.userId, reason);
      });
      if (banned) {
        await announce(deps.publishControl, request.log, [
          { type: 'membership_changed', room: id, change: 'banned', user: who(target!), actor: actorOf(me) },
        ]);
      }
      return reply.code(204).send(null);
    },
  );
}
