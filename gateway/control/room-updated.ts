import type { ControlHandler } from './context.js';

/** The room's new name, topic and visibility, to its members. */
export const onRoomUpdated: ControlHandler<'room_updated'> = (event, deps) =>
  deps.broadcast(event.room, {
    type: 'event',
    room: event.room,
    event: 'room_updated',
    actor: event.actor,
    settings: { name: event.name, topic: event.topic, visibility: event.visibility },
  });
