/**
 * Where each frame from the gateway goes (the `welcome` is the link's):
 * messages, gaps and resumes to the sequencer, acks and errors to the
 * publisher, the rest to the application as typed events. Rules:
 * - an `error` that answers no pending publish is an 'error' event, except a
 *   rate-limited typing indicator (not worth telling) and `session_revoked`
 *   (its close ends the session);
 * - events about me also come as 'invited' / 'removed'; a room I was removed
 *   from, or that was deleted, is forgotten, so a later rejoin starts afresh
 *   instead of filling everything said meanwhile;
 * - an announcement can arrive twice around connect time: it is told once.
 */
import type { ServerFrame, ServerFrameOf } from '../../shared/protocol/frames.js';
import { fromErrorFrame } from './errors.js';
import type { Emitter } from './events.js';
import type { Publisher } from './publisher.js';
import type { Sequencer } from './sequencer.js';
import type { ParleyEvents } from './types.js';

/** Announcement ids remembered to drop the second copy. */
const ANNOUNCEMENTS_REMEMBERED = 200;
const REMOVED = new Set<string>(['member_kicked', 'member_banned', 'member_left']);
/** The `ref` of typing frames: their replies are not waited for. */
export const TYPING_REF = 'typing';

export class Inbound {
  private readonly announcements: string[] = [];

  constructor(
    private readonly emitter: Emitter<ParleyEvents>,
    private readonly sequencer: Sequencer,
    private readonly publisher: Publisher,
    private readonly me: () => string | undefined,
  ) {}

  frame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'message': {
        const { type: _type, ...message } = frame;
        this.sequencer.accept(message);
        break;
      }
      case 'gap':
        this.sequencer.fill(frame.room, frame.missing, 'gap');
        break;
      case 'resumed':
        if (frame.missing) this.sequencer.fill(frame.room, frame.missing, 'resumed');
        break;
      case 'ack':
        this.publisher.onAck(frame);
        break;
      case 'error':
        this.error(frame);
        break;
      case 'event':
        this.event(frame);
        break;
      case 'typing':
        this.emitter.emit('typing', frame);
        break;
      case 'presence':
        this.emitter.emit('presence', frame);
        break;
      case 'announcement':
        this.announcement(frame);
        break;
      default:
        break;
    }
    this.emitter.emit('frame', frame);
  }

  private error(frame: ServerFrameOf<'error'>): void {
    if (this.publisher.onError(frame)) return;
    if (frame.ref === TYPING_REF && frame.retryable) return;
    if (frame.code === 'session_revoked') return;
    this.emitter.emit('error', fromErrorFrame(frame));
  }

  private event(frame: ServerFrameOf<'event'>): void {
    this.emitter.emit('event', frame);
    if (frame.event === 'room_deleted') this.sequencer.forget(frame.room);
    const me = this.me();
    if (!me || frame.user?.id !== me) return;
    if (frame.event === 'invited') this.emitter.emit('invited', frame);
    else if (REMOVED.has(frame.event)) {
      this.sequencer.forget(frame.room);
      this.emitter.emit('removed', frame);
    }
  }

  private announcement(frame: ServerFrameOf<'announcement'>): void {
    if (this.announcements.includes(frame.id)) return;
    this.announcements.push(frame.id);
    if (this.announcements.length > ANNOUNCEMENTS_REMEMBERED) this.announcements.shift();
    const { type: _type, ...announcement } = frame;
    this.emitter.emit('announcement', announcement);
  }
}
