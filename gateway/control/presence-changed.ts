import type { ControlHandler } from './context.js';

/** A `presence` frame to each listed room's local sockets (the rooms small enough for per-user events). */
export const onPresenceChanged: ControlHandler<'presence_changed'> = (event, deps) => {
  const lastSeen = event.lastSeen === null ? null : new Date(event.lastSeen).toISOString();
  for (const room of event.rooms) {
    deps.broadcast(room, { type: 'presence', room, user: event.user, online: event.online, status: event.status, lastSeen });
  }
};
