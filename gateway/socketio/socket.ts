/**
 * A Socket.IO socket as the rest of the gateway sees a socket: the same
 * `getUserData`, `subscribe`, `unsubscribe` and `end` as a uWS WebSocket, so
 * sessions, membership, rate limits, resume and the relay serve both
 * transports with one code path. Only the Sender (connection.ts) and Topics
 * tell them apart, to write a frame as an event instead of a text frame.
 *
 * A topic is a room of the namespace's local adapter: `subscribe` joins it,
 * and Topics writes to it with `io.local`, never through the Redis adapter
 * (room messages reach every gateway through parley's own fan-out).
 */
import type { Socket as IoSocket } from 'socket.io';
import type { ServerFrame } from '../../shared/protocol/frames.js';
import { CLOSING_EVENT, type ClosingEvent } from '../../shared/protocol/socketio.js';
import type { Conn } from '../connection.js';

export type Ack = (reply: ServerFrame) => void;

/** The refs the gateway gives frames sent with an ack callback: a prefix no client ref is likely to use. */
const OWN_REF = '\u0001';

export class SioSocket {
  /**
   * Ack callbacks waiting for the reply to a frame, by the ref the gateway
   * gave the frame, with the client's own ref (restored on the reply).
   * Always the gateway's refs: two frames in flight with the same client ref,
   * or another reply carrying that ref, cannot take each other's callback.
   */
  private acks: Map<string, { ack: Ack; ref: string | undefined }> | null = null;
  private refs = 0;
  /** The close code `end` was called with; null until the server ends the socket. */
  endedWith: number | null = null;

  constructor(
    readonly io: IoSocket,
    private readonly conn: Conn,
  ) {}

  getUserData(): Conn {
    return this.conn;
  }

  subscribe(topic: string): boolean {
    void this.io.join(topic);
    return true;
  }

  unsubscribe(topic: string): boolean {
    void this.io.leave(topic);
    return true;
  }

  /**
   * The frame's reply goes to `ack` instead of being emitted. Returns the ref
   * the frame must carry while it is handled; the reply gets the frame's own
   * `ref` back (none if it had none).
   */
  expectReply(ref: string | undefined, ack: Ack): string {
    const key = `${OWN_REF}${++this.refs}`;
    (this.acks ??= new Map()).set(key, { ack, ref });
    return key;
  }

  /** Writes one frame: to the ack callback waiting for it, or as the event named by its type. */
  emitFrame(frame: ServerFrame): void {
    const key = (frame as { ref?: string }).ref;
    const waiting = key === undefined ? undefined : this.acks?.get(key);
    if (waiting) {
      this.acks!.delete(key!);
      const { ref: _key, ...reply } = frame as ServerFrame & { ref?: string };
      waiting.ack((waiting.ref === undefined ? reply : { ...reply, ref: waiting.ref }) as ServerFrame);
      return;
    }
    this.io.emit(frame.type, frame);
  }

  /** `closing` with the raw endpoint's close code, then DISCONNECT and the end of the Engine.IO connection. */
  end(code: number, reason: string): void {
    this.endedWith = code;
    const closing: ClosingEvent = { code, reason };
    this.io.emit(CLOSING_EVENT, closing);
    this.io.disconnect(true);
  }

  /**
   * Bytes written but not yet taken by the client: what waits for the next
   * poll (long-polling) plus what uWS holds for the WebSocket.
   */
  buffered(): number {
    const engine = this.io.conn as unknown as { writeBuffer: { data?: unknown }[]; transport: { socket?: { getBufferedAmount?: () => number } } };
    let bytes = 0;
    for (const packet of engine.writeBuffer) if (typeof packet.data === 'string') bytes += packet.data.length;
    try {
      bytes += engine.transport.socket?.getBufferedAmount?.() ?? 0;
    } catch {
      // A uWS socket already closed throws; it buffers nothing.
    }
    return bytes;
  }
}
