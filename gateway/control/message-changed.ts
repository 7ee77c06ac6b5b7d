import type { ServerFrameOf } from '../../shared/protocol/frames.js';
import type { ControlHandler } from './context.js';

const MESSAGE_EVENT = {
  edited: 'message_edited',
  deleted: 'message_deleted',
  reaction_added: 'reaction_added',
  reaction_removed: 'reaction_removed',
} as const;

/** An edit, deletion or reaction: the room's members see the event; history shows the current state. */
export const onMessageChanged: ControlHandler<'message_changed'> = (event, deps) => {
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
  deps.broadcast(event.room, frame);
};
