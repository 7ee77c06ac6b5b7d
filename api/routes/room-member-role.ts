import type { MembershipChanged } from '../../shared/broker/control.js';
import { Member, MemberParams, Problem, SetRoleRequest } from '../../shared/http/schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce, who } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import { presentMember } from '../rooms/present.js';
import type { RouteDeps } from './deps.js';

/**
 * PUT /v1/rooms/{id}/members/{userId}/role {role} — the owner promotes or
 * demotes a member; `owner` transfers ownership and the old owner becomes an
 * admin. Both rows change in one transaction that holds the room lock and
 * re-reads the caller's role, so two concurrent transfers cannot both pass.
 */
export function roomMemberRoleRoute(app: App, deps: RouteDeps): void {
  app.put(
    '/v1/rooms/:id/members/:userId/role',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['membership'],
        summary: 'Change a member\'s role, or transfer ownership (owner)',
        params: MemberParams,
        body: SetRoleRequest,
        response: { 200: Member, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => {
      const me = principalOf(request);
      const { id, userId } = request.params;
      const { role } = request.body;
      const target = await deps.users.byId(userId);
      const { member, events } = await deps.rooms.transaction(async (tx) => {
        const { room, relation } = await tx.enter(id, me.userId);
        enforce(decide('set_role', relation, room));
        if (!target) throw new ParleyError('user_not_found');
        const current = await tx.relation(id, target.id);
        enforce(decide('set_role', relation, room, current));
        const events: MembershipChanged[] = [];
        const changed = (user: { id: string; username: string }, newRole: 'owner' | 'admin' | 'member') =>
          events.push({ type: 'membership_changed', room: id, change: 'role_changed', user: who(user), actor: actorOf(me), role: newRole });
        if (role === 'owner') {
          // Demote first: at most one owner per room, at every statement.
          await tx.setRole(id, me.userId, 'admin');
          await tx.setRole(id, target.id, 'owner');
          changed({ id: me.userId, username: me.username }, 'admin');
          changed(target, 'owner');
        } else if (current !== role) {
          await tx.setRole(id, target.id, role);
          changed(target, role);
        }
        return { member: await tx.member(id, target.id), events };
      });
      await announce(deps.publishControl, request.log, events);
      return presentMember(member);
    },
  );
}
