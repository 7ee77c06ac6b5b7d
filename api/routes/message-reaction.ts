import { NoContent, Problem } from '../../shared/http/schemas.js';
import { ReactionParams } from '../../shared/http/message-schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { messageFor } from '../messages/access.js';
import type { RouteDeps } from './deps.js';

const PATH = '/v1/rooms/:id/messages/:seq/reactions/:emoji';

/**
 * PUT adds and DELETE removes the caller's reaction (both idempotent). Members
 * see `reaction_added` / `reaction_removed` only when something changed.
 */
function reactionRoute(method: 'PUT' | 'DELETE') {
  const adding = method === 'PUT';
  return (app: App, deps: RouteDeps): void => {
    app.route({
      method,
      url: PATH,
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['messages'],
        summary: adding ? 'React to a message' : 'Remove a reaction',
        params: ReactionParams,
        response: { 204: NoContent, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
      handler: async (request, reply) => {
        const me = principalOf(request);
        const { id, seq, emoji } = request.params;
        const message = await messageFor(deps, me, id, seq, 'react');
        const changed = adding
          ? await deps.messages.react(id, seq, me.userId, emoji)
          : await deps.messages.unreact(id, seq, me.userId, emoji);
        if (changed) {
          await announce(deps.publishControl, request.log, [
            {
              type: 'message_changed',
              room: id,
              seq,
              messageId: message.id,
              change: adding ? 'reaction_added' : 'reaction_removed',
              user: actorOf(me),
              emoji,
            },
          ]);
        }
        return reply.code(204).send(null);
      },
    });
  };
}

export const messageReactRoute = reactionRoute('PUT');
export const messageUnreactRoute = reactionRoute('DELETE');
