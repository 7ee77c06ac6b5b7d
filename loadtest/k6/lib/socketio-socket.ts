/**
 * One parley connection over Socket.IO (shared/protocol/socketio.ts): the
 * Engine.IO websocket transport on a `k6/websockets` WebSocket, with the
 * packets framed by hand (socketio-packets.ts). k6 cannot long-poll usefully,
 * so this is the path of a socket.io-client given `transports: ['websocket']`.
 *
 * - On Engine.IO open it sends CONNECT with `SocketIoAuth` (the token, and
 *   `batch` with PARLEY_BATCH_FRAMES=on); it answers each ping with a pong.
 * - Server frames are events named by their type; a `publish` is sent with an
 *   ack id, and its reply (`ack` or `error`) comes back as the ACK. Both go to
 *   LoadSocket, so metrics and checks are those of the raw socket.
 * - A refused connect (`connect_error`: message = catalogue code, data = the
 *   problem body) counts in parley_error_frames under its code, is logged
 *   once per VU, and closes the socket (`welcome received` fails).
 * - `closing` gives the close code of a server disconnect: a drop is counted
 *   in parley_dropped_sockets with it, or with 1006 when none came.
 */
import type { MessageEvent, Params } from 'k6/websockets';
import type { ClientFrame, ServerFrame } from '../../../shared/protocol/frames.js';
import type { ClosingEvent, SocketIoAuth } from '../../../shared/protocol/socketio-schemas.js';
import { ACKED_FRAMES, CLOSING_EVENT, SOCKETIO_PATH, toEvent } from '../../../shared/protocol/socketio-constants.js';
import { common, matching } from './config.js';
import { LoadSocket, type SocketOptions } from './load-socket.js';
import { errorFrames, textOf } from './metrics.js';
import { DISCONNECT, ENGINE_QUERY, PONG, connectPacket, decodePacket, eventPacket } from './socketio-packets.js';

/** The gateway's GATEWAY_SOCKETIO_PATH. */
const socketIoPath = matching('PARLEY_SOCKETIO_PATH', SOCKETIO_PATH, /^\/([A-Za-z0-9._~-]+\/)+$/, 'a path such as /socket.io/ (with both slashes)');

/** The URL and parameters of a Socket.IO socket; the token goes in CONNECT, not in the URL. */
export function socketIoArgs(): [string, Params] {
  return [`${common.gatewayUrl}${socketIoPath}?${ENGINE_QUERY}`, { tags: { name: socketIoPath } }];
}

export class SioLoadSocket extends LoadSocket {
  /** The namespace accepted CONNECT: events may be sent. */
  private connected = false;
  private acks = 0;
  private closing: ClosingEvent | null = null;

  constructor(options: SocketOptions) {
    super(options, socketIoArgs());
  }

  protected override isOpen(): boolean {
    return this.connected && super.isOpen();
  }

  /** Leaves the namespace first, as socket.io-client's disconnect() does. */
  protected override close(): void {
    if (this.connected && super.isOpen()) this.ws.send(DISCONNECT);
    this.connected = false;
    super.close();
  }

  protected override dropTags(): Record<string, string> {
    return { code: String(this.closing?.code ?? 1006) };
  }

  /** Sends a frame as its event, with an ack id when its type takes an ack (its reply then comes as the ACK). */
  protected override send(frame: ClientFrame): void {
    const [name, arg] = toEvent(frame);
    this.ws.send(eventPacket(name, arg, ACKED_FRAMES[name] ? ++this.acks : undefined));
  }

  protected override read(event: MessageEvent | undefined): void {
    const text = textOf(event);
    if (text === null) return;
    const at = event!.timestamp;
    const packet = decodePacket(text);
    switch (packet.kind) {
      case 'open': {
        const auth: SocketIoAuth = { token: this.options.token, ...(common.batchFrames ? { batch: true } : {}) };
        this.ws.send(connectPacket(auth));
        break;
      }
      case 'ping':
        this.ws.send(PONG);
        break;
      case 'connect':
        this.connected = true;
        break;
      case 'connect_error':
        errorFrames.add(1, { code: packet.message });
        this.warnOnce(`Socket.IO connect refused: ${packet.message} ${JSON.stringify(packet.data ?? null).slice(0, 300)}`);
        this.close();
        break;
      case 'close':
        // Without `closing` first, this is what the raw endpoint shows as 1006.
        this.connected = false;
        this.close();
        break;
      case 'event':
        if (packet.name === CLOSING_EVENT) this.closing = packet.arg as ClosingEvent;
        else this.frame(packet.arg, at);
        break;
      case 'ack':
        this.frame(packet.reply, at);
        break;
      case 'invalid':
        errorFrames.add(1, { code: packet.code });
        break;
      default:
        break;
    }
  }

  /** An event's argument or an ACK's reply: a whole server frame, `type` included. */
  private frame(arg: unknown, at: number): void {
    if (typeof arg === 'object' && arg !== null && typeof (arg as { type?: unknown }).type === 'string') this.receive(arg as ServerFrame, at);
    else errorFrames.add(1, { code: 'bad_event' });
  }
}
