import { NoContent, Problem } from '../../shared/http/schemas.js';
import { ReactionParams } from '../../shared/http/message-schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { messageFor } from '../messages/access.js';
import type { RouteDeps } from './deps.js';

/** DELETE /v1/rooms/{id}/messages/{seq}/reactions/{emoji} — removes the caller's reaction (idempotent). */
export function messageUnreactRoute(app: App, deps: RouteDeps): void {
  app.delete(
    '/v1/rooms/:id/messages/:seq/reactions/:emoji',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['messages'],
        summary: 'Remove a reaction',
        params: ReactionParams,
        response: { 204: NoContent, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { id, seq, emoji } = request.params;
      const message = await messageFor(deps, me, id, seq, 'react');
      if (await deps.messages.unreact(id, seq, me.userId, emoji)) {
        await announce(deps.publishControl, request.log, [
          { type: 'message_changed', room: id, seq, messageId: message.id, change: 'reaction_removed', user: actorOf(me), emoji },
        ]);
      }
      return reply.code(204).send(null);
    },
  );
}
