import { ParleyError } from '../../shared/errors.js';
import { Problem, ReadPosition, ReadRequest, RoomParams } from '../../shared/http/schemas.js';
import { principalOf, requireAuth } from '../http/authenticate.js';
import type { App } from '../http/app.js';
import { invalidRequest } from '../http/problem.js';
import { actorOf, announce } from '../rooms/events.js';
import { decide, enforce } from '../rooms/policy.js';
import type { RouteDeps } from './deps.js';

/**
 * PUT /v1/rooms/{id}/read {seq} — the caller has read the room up to `seq`.
 * The position only moves forward, so out-of-order requests from several
 * devices are harmless; the answer is the position afterwards. Members (of
 * every role) only. A seq past the room's current seq is refused: it would
 * hide messages that do not exist yet. Members (and the reader's other
 * devices) learn of the move through a `read_marker` control event, sent
 * only when the position actually moved.
 */
export function roomReadRoute(app: App, deps: RouteDeps): void {
  app.put(
    '/v1/rooms/:id/read',
    {
      onRequest: requireAuth(deps.verify),
      schema: {
        tags: ['rooms'],
        summary: 'Set my read position in a room',
        description: 'Moves my last-read seq forward to `seq` (never back); answers the resulting position.',
        params: RoomParams,
        body: ReadRequest,
        response: { 200: ReadPosition, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 503: Problem },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { id } = request.params;
      const { seq } = request.body;
      const { room, relation } = await deps.rooms.view(id, principal.userId);
      enforce(decide('mark_read', relation, room));

      const current = (await deps.roomSeqs.current([id])).get(id) ?? 0;
      if (seq > current) throw invalidRequest('body', '/seq', `is ahead of the room, whose latest seq is ${current}`);

      const position = await deps.rooms.markRead(id, principal.userId, seq);
      if (position === null) {
        // They stopped being a member after the check: answer as the policy does now.
        const now = await deps.rooms.view(id, principal.userId);
        enforce(decide('mark_read', now.relation, now.room));
        throw new ParleyError('member_not_found');
      }
      if (position.moved) {
        await announce(deps.publishControl, request.log, [
          { type: 'read_marker', room: id, user: actorOf(principal), seq: position.seq },
        ]);
      }
      return { room: id, seq: position.seq };
    },
  );
}
