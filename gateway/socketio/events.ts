/**
 * Events from a Socket.IO client, checked and dispatched like raw frames:
 * the event's size against GATEWAY_MAX_FRAME_BYTES, the event as the client
 * frame it names (shared/protocol/socketio.ts), then the same frame
 * handlers. The ack callback of a frame with one reply gets that reply.
 * Anything malformed gets a typed `error` (through the ack when there is
 * one) and the socket stays; nothing a client sends may throw out of here.
 */
import type { ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { ClientFrame } from '../../shared/protocol/frames.js';
import { ACKED_FRAMES, fromEvent } from '../../shared/protocol/socketio.js';
import type { SocketConfig } from '../config.js';
import type { Conn, Sender, Socket } from '../connection.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Ack, SioSocket } from './socket.js';

/**
 * The sizes, in UTF-8 bytes, of a socket's Socket.IO event packets, in the
 * order Engine.IO decoded them. Socket.IO hands an event to its listeners a
 * tick after decoding it, and one long-polling request may carry several,
 * so each event takes the oldest size recorded.
 */
export class PacketSizes {
  private readonly sizes: number[] = [];

  /** An Engine.IO `message` packet: a Socket.IO EVENT (`2…`) or BINARY_EVENT (`5…`) is recorded. */
  packet(data: unknown): void {
    if (typeof data !== 'string') return;
    const kind = data.charCodeAt(0);
    if (kind === 50 || kind === 53) this.sizes.push(Buffer.byteLength(data, 'utf8'));
  }

  /** The size of the event now being handled. */
  take(): number {
    return this.sizes.shift() ?? 0;
  }
}

export interface EventDeps {
  limits: Pick<SocketConfig, 'maxFrameBytes'>;
  sender: Sender;
  metrics: GatewayMetrics;
  logger: Logger;
  dispatch: (frame: ClientFrame, ws: Socket, conn: Conn) => void;
}

export function createEventReceiver(deps: EventDeps) {
  const { limits, sender, metrics } = deps;

  function receive(sock: SioSocket, conn: Conn, event: unknown, args: unknown[], bytes: number): void {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
    const invalid = (code: ErrorCode, message: string, ref?: string) => {
      metrics.framesIn.inc({ type: 'invalid', transport: 'socketio' });
      sender.error(sock, code, { message, ref: ack ? sock.expectReply(ref, ack) : ref });
    };
    if (bytes > limits.maxFrameBytes) return invalid('frame_too_large', `event is ${bytes} bytes; the limit is ${limits.maxFrameBytes}`);
    // socket.io-parser also admits numbers as event names.
    if (typeof event !== 'string') return invalid('bad_frame', 'the event name must be a string, a frame type');
    if (args.length !== 1) return invalid('bad_frame', `event "${event.slice(0, 32)}" needs exactly one argument, the frame`);
    const decoded = fromEvent(event, args[0]);
    if (!decoded.ok) return invalid(decoded.error.code, decoded.error.message, decoded.error.ref);
    let frame = decoded.frame;
    if (ack && ACKED_FRAMES[frame.type]) frame = { ...frame, ref: sock.expectReply(frame.ref, ack) };
    metrics.framesIn.inc({ type: frame.type, transport: 'socketio' });
    deps.dispatch(frame, sock, conn);
  }

  return (sock: SioSocket, conn: Conn, event: unknown, args: unknown[], bytes: number): void => {
    try {
      receive(sock, conn, event, args, bytes);
    } catch (err) {
      // A bug, not the client's doing: logged, and the client told, never a crash.
      deps.logger.error({ err }, 'socket.io event handling failed');
      sender.error(sock, 'internal');
    }
  };
}
