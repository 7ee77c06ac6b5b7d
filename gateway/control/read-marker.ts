import type { ControlHandler } from './context.js';

/** A member's read position moved: the room's members (the reader's other devices included) see `read`. */
export const onReadMarker: ControlHandler<'read_marker'> = (event, deps) =>
  deps.broadcast(event.room, { type: 'event', room: event.room, event: 'read', user: event.user, seq: event.seq });
