import type { ControlHandler } from './context.js';

/** Members see `room_deleted`, then every local socket loses the room. */
export const onRoomDeleted: ControlHandler<'room_deleted'> = (event, deps) => {
  deps.broadcast(event.room, { type: 'event', room: event.room, event: 'room_deleted', actor: event.actor });
  deps.membership.roomDeleted(event.room);
};
