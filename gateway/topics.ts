/**
 * Writes a frame to every local socket on a uWS topic: encoded once,
 * whatever the number of sockets. The uWS app is attached when the server is
 * wired; before that there are no sockets to write to.
 *
 * A room has two topics: the room id, for sockets that take one `message`
 * frame per message, and `batchTopic(room)`, for sockets opened with
 * `?batch=1`. The `message` frames a room gets in one event-loop turn are
 * collected for the batch topic and sent at the end of the turn
 * (setImmediate) as one `messages` frame, or as the one `message` frame
 * itself. Any other frame to the room first sends what was collected, so
 * the batch topic sees the same frames in the same order as the plain one.
 */
import { encodeServerFrame } from '../shared/protocol/codec.js';
import type { ChatMessage, ServerFrame, ServerFrameOf } from '../shared/protocol/frames.js';
import type { Conn } from './connection.js';
import type { GatewayMetrics } from './metrics.js';
import type { TemplatedApp, WebSocket } from './uws.js';

/** `\u0000` cannot occur in a room id, so no room's plain topic collides with another's batch topic. */
const BATCH_SUFFIX = '\u0000batch';

export function batchTopic(room: string): string {
  return room + BATCH_SUFFIX;
}

/** The topic a socket joins for a room's live frames. */
export function roomTopic(conn: Pick<Conn, 'batch'>, room: string): string {
  return conn.batch ? batchTopic(room) : room;
}

export class Topics {
  private app: TemplatedApp | null = null;
  /** Per room: the messages collected this turn for its batch topic, with the first one's encoded frame. */
  private readonly collected = new Map<string, { messages: ChatMessage[]; first: string }>();
  private flushing = false;

  constructor(private readonly metrics: Pick<GatewayMetrics, 'framesOut'>) {}

  attach(app: TemplatedApp): void {
    this.app = app;
  }

  /**
   * Joins the socket to the room's live topic. What the batch topic collected
   * this turn is sent first: the socket got none of it live (a plain topic
   * sent it before the join), and a socket ending its catch-up already has it
   * from its buffer.
   */
  join(ws: WebSocket<Conn>, room: string): void {
    const conn = ws.getUserData();
    if (conn.batch && this.collected.has(room)) this.send(room);
    ws.subscribe(roomTopic(conn, room));
  }

  leave(ws: WebSocket<Conn>, room: string): void {
    ws.unsubscribe(roomTopic(ws.getUserData(), room));
  }

  broadcast(topic: string, frame: ServerFrame): void {
    const isMessage = frame.type === 'message';
    // Anything but a message keeps its place after what the batch topic collected.
    if (!isMessage && this.collected.has(topic)) this.send(topic);
    const app = this.app;
    if (!app) return;
    const batch = batchTopic(topic);
    const plain = app.numSubscribers(topic);
    const batched = app.numSubscribers(batch);
    if (plain + batched === 0) return;
    const encoded = encodeServerFrame(frame);
    if (plain > 0) app.publish(topic, encoded, false);
    if (batched > 0) {
      if (isMessage) this.collect(topic, frame, encoded);
      else app.publish(batch, encoded, false);
    }
    // Collected messages are counted when their frame is sent.
    const sent = isMessage ? plain : plain + batched;
    if (sent > 0) this.metrics.framesOut.inc({ type: frame.type }, sent);
  }

  private collect(room: string, frame: ServerFrameOf<'message'>, encoded: string): void {
    const { type: _type, ...message } = frame;
    const pending = this.collected.get(room);
    if (pending) pending.messages.push(message);
    else this.collected.set(room, { messages: [message], first: encoded });
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushing = false;
    for (const room of [...this.collected.keys()]) this.send(room);
  };

  /** Sends what was collected for the room's batch topic. */
  private send(room: string): void {
    const pending = this.collected.get(room);
    this.collected.delete(room);
    const app = this.app;
    if (!pending || !app) return;
    const batch = batchTopic(room);
    const recipients = app.numSubscribers(batch);
    if (recipients === 0) return;
    if (pending.messages.length === 1) {
      app.publish(batch, pending.first, false);
      this.metrics.framesOut.inc({ type: 'message' }, recipients);
    } else {
      app.publish(batch, encodeServerFrame({ type: 'messages', messages: pending.messages }), false);
      this.metrics.framesOut.inc({ type: 'messages' }, recipients);
    }
  }
}
