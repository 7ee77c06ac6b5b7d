import { ParleyError } from '../../shared/errors.js';
import type { Principal } from '../../shared/auth/claims.js';
import { decide, enforce } from '../rooms/policy.js';
import type { RouteDeps } from '../routes/deps.js';
import type { FoundMessage } from './mutations.js';

/**
 * The message at (room, seq) after the caller passed the room's visibility
 * and `action`; 404 `message_not_found` when there is none (or it is deleted,
 * unless `deletedOk`).
 */
export async function messageFor(
  deps: Pick<RouteDeps, 'rooms' | 'messages'>,
  me: Principal,
  room: string,
  seq: number,
  action: 'react' | 'edit_own_message' | 'delete_own_message',
): Promise<FoundMessage> {
  const view = await deps.rooms.view(room, me.userId);
  enforce(decide(action, view.relation, view.room));
  const message = await deps.messages.find(room, seq);
  if (!message || message.deleted) throw new ParleyError('message_not_found');
  // Someone else's message: editing is never allowed, deleting needs moderation rights.
  if (message.authorId !== me.userId) {
    if (action === 'edit_own_message') throw new ParleyError('forbidden', 'Only the author can edit a message');
    if (action === 'delete_own_message') enforce(decide('delete_any_message', view.relation, view.room));
  }
  return message;
}
