/**
 * Routes cluster control events to their handlers; one module per event type.
 * Adding an event type to the control protocol without a handler is a compile error.
 */
import type { ControlEvent } from '../../shared/broker/control.js';
import type { ControlDeps, ControlEventType, ControlHandler, ControlHandlers } from './context.js';
import { onAnnouncement } from './announcement.js';
import { onMembershipChanged } from './membership-changed.js';
import { onMessageChanged } from './message-changed.js';
import { onPresenceChanged } from './presence-changed.js';
import { onReadMarker } from './read-marker.js';
import { onRoomDeleted } from './room-deleted.js';
import { onRoomUpdated } from './room-updated.js';
import { onSessionRevoked } from './session-revoked.js';

export const CONTROL_HANDLERS: ControlHandlers = {
  session_revoked: onSessionRevoked,
  presence_changed: onPresenceChanged,
  announcement: onAnnouncement,
  membership_changed: onMembershipChanged,
  room_updated: onRoomUpdated,
  room_deleted: onRoomDeleted,
  read_marker: onReadMarker,
  message_changed: onMessageChanged,
};

export function createControlDispatcher(deps: ControlDeps): (event: ControlEvent) => void {
  return (event) => (CONTROL_HANDLERS[event.type] as ControlHandler<ControlEventType>)(event, deps);
}
