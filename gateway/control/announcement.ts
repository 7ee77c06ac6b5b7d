import { ANNOUNCEMENTS_TOPIC, type ControlHandler } from './context.js';

/** A server announcement: every local socket gets it. */
export const onAnnouncement: ControlHandler<'announcement'> = (event, deps) => {
  const { type: _type, ...announcement } = event;
  deps.broadcast(ANNOUNCEMENTS_TOPIC, { type: 'announcement', ...announcement });
};
