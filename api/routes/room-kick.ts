import { MemberParams, NoContent, Problem } from '../../shared/http/schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce, who } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import type { RouteDeps } from './deps.js';

/** DELETE /v1/rooms/{id}/members/{userId} — removes a member; they may rejoin or be invited again. */
export function roomKickRoute(app: App, deps: RouteDeps): void {
  app.delete(
    '/v1/rooms/:id/members/:userId',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['membership'],
        summary: 'Kick a member (owner, admin)',
        params: MemberParams,
        response: { 204: NoContent, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { id, userId } = request.params;
      const target = await deps.users.byId(userId);
      await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        enforce(decide('kick', relation, room));
        if (!target) throw new ParleyError('user_not_found');
        enforce(decide('kick', relation, room, await tx.relation(id, target.id)));
        await tx.removeMember(id, target.id);
      });
      await announce(deps.publishControl, request.log, [
        { type: 'membership_changed', room: id, change: 'kicked', user: who(target!), actor: actorOf(me) },
      ]);
      return reply.code(204).send(null);
    },
  );
}
