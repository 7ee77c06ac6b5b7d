import type { ServerFrameOf } from '../../shared/protocol/frames.js';
import type { ControlHandler } from './context.js';

type EventName = ServerFrameOf<'event'>['event'];

const MEMBER_EVENT = {
  joined: 'member_joined',
  left: 'member_left',
  kicked: 'member_kicked',
  banned: 'member_banned',
  role_changed: 'role_changed',
  invited: 'invited',
} as const satisfies Record<string, EventName>;

/**
 * Shows the room's members the change and applies it to the user's sockets
 * here (LiveMembership: joins are confirmed against Postgres first, removals
 * apply at once).
 */
export const onMembershipChanged: ControlHandler<'membership_changed'> = (event, deps) => {
  const frame: ServerFrameOf<'event'> = { type: 'event', room: event.room, event: MEMBER_EVENT[event.change], user: event.user };
  if (event.actor) frame.actor = event.actor;
  if (event.role) frame.role = event.role;
  deps.membership.membershipChanged(event, frame);
};
