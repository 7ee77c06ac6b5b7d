/** Turns a control event into the `event` frame room members see. */
import type { ControlEvent } from '../shared/broker/control.js';
import type { ServerFrameOf } from '../shared/protocol/frames.js';

type EventName = ServerFrameOf<'event'>['event'];

const MEMBER_EVENT: Record<string, EventName> = {
  joined: 'member_joined',
  left: 'member_left',
  kicked: 'member_kicked',
  banned: 'member_banned',
  role_changed: 'role_changed',
  invited: 'invited',
};

export type RoomControlEvent = Extract<
  ControlEvent,
  { type: 'membership_changed' | 'room_updated' | 'room_deleted' | 'read_marker' | 'message_changed' }
>;

const MESSAGE_EVENT = {
  edited: 'message_edited',
  deleted: 'message_deleted',
  reaction_added: 'reaction_added',
  reaction_removed: 'reaction_removed',
} as const;

export function eventFrame(event: RoomControlEvent): ServerFrameOf<'event'> {
  switch (event.type) {
    case 'membership_changed': {
      const frame: ServerFrameOf<'event'> = { type: 'event', room: event.room, event: MEMBER_EVENT[event.change]!, user: event.user };
      if (event.actor) frame.actor = event.actor;
      if (event.role) frame.role = event.role;
      return frame;
    }
    case 'room_updated':
      return {
        type: 'event',
        room: event.room,
        event: 'room_updated',
        actor: event.actor,
        settings: { name: event.name, topic: event.topic, visibility: event.visibility },
      };
    case 'room_deleted':
      return { type: 'event', room: event.room, event: 'room_deleted', actor: event.actor };
    case 'read_marker':
      return { type: 'event', room: event.room, event: 'read', user: event.user, seq: event.seq };
    case 'message_changed': {
      const frame: ServerFrameOf<'event'> = {
        type: 'event',
        room: event.room,
        event: MESSAGE_EVENT[event.change],
        user: event.user,
        seq: event.seq,
        messageId: event.messageId,
      };
      if (event.body !== undefined) frame.body = event.body;
      if (event.emoji !== undefined) frame.emoji = event.emoji;
      return frame;
    }
  }
}
