import { NoContent, Problem } from '../../shared/http/schemas.js';
import { ReactionParams } from '../../shared/http/message-schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { messageFor } from '../messages/access.js';
import type { RouteDeps } from './deps.js';

/** PUT /v1/rooms/{id}/messages/{seq}/reactions/{emoji} — adds the caller's reaction (idempotent). */
export function messageReactRoute(app: App, deps: RouteDeps): void {
  app.put(
    '/v1/rooms/:id/messages/:seq/reactions/:emoji',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['messages'],
        summary: 'React to a message',
        params: ReactionParams,
        response: { 204: NoContent, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { id, seq, emoji } = request.params;
      const message = await messageFor(deps, me, id, seq, 'react');
      if (await deps.messages.react(id, seq, me.userId, emoji)) {
        await announce(deps.publishControl, request.log, [
          { type: 'message_changed', room: id, seq, messageId: message.id, change: 'reaction_added', user: actorOf(me), emoji },
        ]);
      }
      return reply.code(204).send(null);
    },
  );
}
