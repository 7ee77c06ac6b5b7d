import { MemberParams, NoContent, Problem } from '../../shared/http/schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { decide, enforce } from '../rooms/policy.js';
import type { RouteDeps } from './deps.js';

/** DELETE /v1/rooms/{id}/bans/{userId} — lifts a ban (idempotent: 204 when there was none). */
export function roomUnbanRoute(app: App, deps: RouteDeps): void {
  app.delete(
    '/v1/rooms/:id/bans/:userId',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['membership'],
        summary: 'Lift a ban (owner, admin)',
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
        enforce(decide('unban', relation, room));
        if (!target) throw new ParleyError('user_not_found');
        await tx.unban(id, target.id);
      });
      return reply.code(204).send(null);
    },
  );
}
