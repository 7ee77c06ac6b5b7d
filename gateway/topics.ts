/**
 * Writes a frame to every local socket on a topic: encoded once per
 * transport, whatever the number of sockets. Raw sockets are on the uWS
 * app's topic; Socket.IO sockets are in the local adapter's room of the same
 * name (`SioRooms`, written with `io.local`, so nothing goes through Redis).
 * The uWS app and the Socket.IO rooms are attached when the server is wired;
 * before that there are no sockets to write to.
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
import type { Conn, Socket } from './connection.js';
import type { GatewayMetrics } from './metrics.js';
import type { TemplatedApp } from './uws.js';

/** The Socket.IO side of the topics: the local adapter's rooms. */
export interface SioRooms {
  /** Sockets in the room on this gateway. */
  count(topic: string): number;
  /** Emits the frame, as the event named by its type, to the room's sockets on this gateway only. */
  emit(topic: string, frame: ServerFrame): void;
}

const NO_SIO: SioRooms = { count: () => 0, emit: () => undefined };

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
  private sio: SioRooms = NO_SIO;
  /** Per room: the messages collected this turn for its batch topic, with the first one's encoded frame ('' if none was encoded). */
  private readonly collected = new Map<string, { messages: ChatMessage[]; first: string }>();
  private flushing = false;

  constructor(private readonly metrics: Pick<GatewayMetrics, 'framesOut'>) {}

  attach(app: TemplatedApp): void {
    this.app = app;
  }

  attachSocketIo(rooms: SioRooms): void {
    this.sio = rooms;
  }

  /**
   * Joins the socket to the room's live topic. What the batch topic collected
   * this turn is sent first: the socket got none of it live (a plain topic
   * sent it before the join), and a socket ending its catch-up already has it
   * from its buffer.
   */
  join(ws: Socket, room: string): void {
    const conn = ws.getUserData();
    if (conn.batch && this.collected.has(room)) this.send(room);
    ws.subscribe(roomTopic(conn, room));
  }

  leave(ws: Socket, room: string): void {
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
    const sioPlain = this.sio.count(topic);
    const sioBatched = this.sio.count(batch);
    if (plain + batched + sioPlain + sioBatched === 0) return;
    // Encoded only for raw sockets; Socket.IO encodes once per emit itself.
    const encoded = plain + batched > 0 ? encodeServerFrame(frame) : '';
    if (plain > 0) app.publish(topic, encoded, false);
    if (isMessage && batched + sioBatched > 0) this.collect(topic, frame, encoded);
    if (!isMessage && batched > 0) app.publish(batch, encoded, false);
    if (sioPlain > 0) this.sio.emit(topic, frame);
    if (!isMessage && sioBatched > 0) this.sio.emit(batch, frame);
    // Collected messages are counted when their frame is sent.
    const sent = isMessage ? plain : plain + batched;
    if (sent > 0) this.metrics.framesOut.inc({ type: frame.type, transport: 'websocket' }, sent);
    const sioSent = isMessage ? sioPlain : sioPlain + sioBatched;
    if (sioSent > 0) this.metrics.framesOut.inc({ type: frame.type, transport: 'socketio' }, sioSent);
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

  /** Sends what was collected for the room's batch topic, to both transports. */
  private send(room: string): void {
    const pending = this.collected.get(room);
    this.collected.delete(room);
    const app = this.app;
    if (!pending || !app) return;
    const batch = batchTopic(room);
    const recipients = app.numSubscribers(batch);
    const sioRecipients = this.sio.count(batch);
    if (recipients + sioRecipients === 0) return;
    const single = pending.messages.length === 1;
    const frame: ServerFrame = single ? { type: 'message', ...pending.messages[0]! } : { type: 'messages', messages: pending.messages };
    if (recipients > 0) {
      app.publish(batch, single && pending.first ? pending.first : encodeServerFrame(frame), false);
      this.metrics.framesOut.inc({ type: frame.type, transport: 'websocket' }, recipients);
    }
    if (sioRecipients > 0) {
      this.sio.emit(batch, frame);
      this.metrics.framesOut.inc({ type: frame.type, transport: 'socketio' }, sioRecipients);
    }
  }
}
