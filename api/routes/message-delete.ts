import { NoContent, Problem } from '../../shared/http/schemas.js';
import { MessageParams } from '../../shared/http/message-schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { messageFor } from '../messages/access.js';
import type { RouteDeps } from './deps.js';

/**
 * DELETE /v1/rooms/{id}/messages/{seq} — the author, or the room's owner or an
 * admin, deletes a message. It stays in history as a tombstone (same seq,
 * empty body, `deleted: true`); members see `message_deleted`.
 */
export function messageDeleteRoute(app: App, deps: RouteDeps): void {
  app.delete(
    '/v1/rooms/:id/messages/:seq',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['messages'],
        summary: 'Delete a message (author, owner, admin)',
        params: MessageParams,
        response: { 204: NoContent, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const { id, seq } = request.params;
      const message = await messageFor(deps, me, id, seq, 'delete_own_message');
      if (await deps.messages.delete(id, seq, me.userId)) {
        await announce(deps.publishControl, request.log, [
          { type: 'message_changed', room: id, seq, messageId: message.id, change: 'deleted', user: actorOf(me) },
        ]);
      }
      return reply.code(204).send(null);
    },
  );
}
