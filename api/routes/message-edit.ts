import { Problem } from '../../shared/http/schemas.js';
import { EditMessageBody, EditedMessage, MessageParams } from '../../shared/http/message-schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { actorOf, announce } from '../rooms/events.js';
import { messageFor } from '../messages/access.js';
import type { RouteDeps } from './deps.js';

/** PATCH /v1/rooms/{id}/messages/{seq} — the author replaces the text; members see `message_edited`. */
export function messageEditRoute(app: App, deps: RouteDeps): void {
  app.patch(
    '/v1/rooms/:id/messages/:seq',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['messages'],
        summary: 'Edit a message (its author)',
        params: MessageParams,
        body: EditMessageBody,
        response: { 200: EditedMessage, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 413: Problem },
      },
    },
    async (request) => {
      const me = principalOf(request);
      const { id, seq } = request.params;
      const { body } = request.body;
      const bytes = Buffer.byteLength(body, 'utf8');
      if (bytes > deps.maxMessageBytes) {
        throw new ParleyError('message_too_large', `message body is ${bytes} bytes; the limit is ${deps.maxMessageBytes}`);
      }
      const message = await messageFor(deps, me, id, seq, 'edit_own_message');
      const editedAt = await deps.messages.edit(id, seq, body, me.userId);
      if (!editedAt) throw new ParleyError('message_not_found');
      await announce(deps.publishControl, request.log, [
        { type: 'message_changed', room: id, seq, messageId: message.id, change: 'edited', user: actorOf(me), body },
      ]);
      return { room: id, seq, id: message.id, body, editedAt: editedAt.toISOString() };
    },
  );
}
