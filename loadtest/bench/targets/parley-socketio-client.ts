/**
 * parley driven through its Socket.IO transport (the gateway's `/socket.io/`
 * endpoint, on the port of `/v1/ws`). The socket is the Socket.IO baseline's
 * (`SocketIoSocket` and its hand codec, ../../baselines/socketio/), so per
 * socket the generator pays what it pays for the baseline: one `ws` socket,
 * three listeners, an ack map; only what the events carry differs. The
 * mapping of parley's frames onto events is shared/protocol/socketio.ts:
 *
 * - connect: CONNECT with the `SocketIoAuth` payload (token, and `batch`
 *   when the run asked for multi-message frames); the socket counts as
 *   connected at the `welcome` event, when its rooms are live, as on
 *   `/v1/ws`, not at the CONNECT reply.
 * - publish: the `publish` event made from the shared frame type by
 *   `toEvent`, with an ack id; the ACK carries the `ack` frame (then `onAck`
 *   runs) or an `error` frame (counted by code), validated with
 *   `checkServerFrame`.
 * - receive: `message` and `messages` events take the raw client's fast path
 *   (./parley-client.ts: the two fields the generator reads, for the same
 *   reason); every other event is validated with `fromServerEvent`.
 * - `closing` carries the close code `/v1/ws` would have sent; the socket
 *   reports that code when it closes, not the WebSocket's.
 */
import type WebSocket from 'ws';
import { Compile } from 'typebox/compile';
import { checkServerFrame } from '../../../shared/protocol/codec.js';
import { UPGRADE_OPTIONS, type ClientFrameOf, type ServerFrame } from '../../../shared/protocol/frames.js';
import { CLOSING_EVENT, ClosingEvent, SOCKETIO_PATH, fromServerEvent, toEvent, type SocketIoAuth } from '../../../shared/protocol/socketio.js';
import { encodeConnect } from '../../baselines/socketio/codec.js';
import { SocketIoSocket } from '../../baselines/socketio/client.js';
import { openBaselineSocket, type Pending } from '../../baselines/socket.js';
import type { BenchSocket, ClientHandlers, ClientSpec, TargetClient } from '../target.js';
import { ConnectFailure } from '../connect-failure.js';
import { isMessageFrame, isMessagesFrame } from './parley-client.js';

/** From opening the socket to `welcome`, as the raw client allows. */
const CONNECT_TIMEOUT_MS = 30_000;

const closingEvent = Compile(ClosingEvent);

/**
 * The endpoint the target hands out for a gateway: its Socket.IO URL on the
 * same host and port, with `batch=1` in the query when sockets opt in to
 * multi-message frames (as on `/v1/ws`). The client moves that option into
 * the CONNECT auth, where the Socket.IO transport reads it.
 */
export function socketIoEndpoint(gatewayUrl: string, options: { batch: boolean }): string {
  const url = new URL(SOCKETIO_PATH, gatewayUrl);
  url.search = `EIO=4&transport=websocket${options.batch ? `&${UPGRADE_OPTIONS.batch}=1` : ''}`;
  return url.href;
}

interface Endpoint {
  url: string;
  batch: boolean;
}

/** Per generator thread, a handful of endpoints: each is read once. */
const endpoints = new Map<string, Endpoint>();

function endpointOf(endpoint: string): Endpoint {
  let known = endpoints.get(endpoint);
  if (!known) {
    const url = new URL(endpoint);
    const batch = url.searchParams.get(UPGRADE_OPTIONS.batch) === '1';
    url.searchParams.delete(UPGRADE_OPTIONS.batch);
    known = { url: url.href, batch };
    endpoints.set(endpoint, known);
  }
  return known;
}

class ParleySocketIoSocket extends SocketIoSocket {
  /** The CONNECT packet with the token, dropped once sent. */
  private connect: string | undefined;
  /** The code of the server's `closing` event, reported as the close code. */
  private closingCode: number | undefined;

  constructor(ws: WebSocket, handlers: ClientHandlers, pending: Pending, connectFrame: string) {
    super(ws, handlers, pending, "parley's socket.io endpoint");
    this.connect = connectFrame;
  }

  publish(room: string, body: string, id: string, onAck: () => void): void {
    const frame: ClientFrameOf<'publish'> = { type: 'publish', room, cmid: id, body };
    const [name, payload] = toEvent(frame);
    this.emitWithAck(name, payload, onAck);
  }

  protected connectFrame(): string {
    const frame = this.connect ?? '40';
    this.connect = undefined;
    return frame;
  }

  protected connected(): void {
    // In the namespace, but the rooms are live only at `welcome`.
  }

  protected event(name: string, data: unknown): void {
    if (name === 'message' && isMessageFrame(data)) {
      this.handlers.onDeliver(data.room, data.body);
      return;
    }
    if (name === 'messages' && isMessagesFrame(data)) {
      for (const m of data.messages) this.handlers.onDeliver(m.room, m.body);
      return;
    }
    if (name === CLOSING_EVENT) {
      if (closingEvent.Check(data)) this.closingCode = data.code;
      else this.handlers.onError?.('invalid_frame');
      return;
    }
    const decoded = fromServerEvent(name, data);
    if (!decoded.ok) {
      this.handlers.onError?.('invalid_frame');
      return;
    }
    this.frame(decoded.frame);
  }

  private frame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.live();
        return;
      case 'message':
        this.handlers.onDeliver(frame.room, frame.body);
        return;
      case 'messages':
        for (const m of frame.messages) this.handlers.onDeliver(m.room, m.body);
        return;
      case 'error':
        this.handlers.onError?.(frame.code);
        return;
      default:
        // presence, announcement, event, typing: not part of the measurement.
        return;
    }
  }

  /** The publish's one reply: its `ack`, or the `error` that refused it (never acked then). */
  protected override replied(onAck: () => void, reply: unknown): void {
    const decoded = checkServerFrame(reply);
    if (decoded.ok && decoded.frame.type === 'ack') onAck();
    else this.handlers.onError?.(decoded.ok && decoded.frame.type === 'error' ? decoded.frame.code : 'invalid_frame');
  }

  /** CONNECT_ERROR's message is the catalogue code (`unauthorized`, `overloaded`, …): the failure's reason. */
  protected override refusal(message: string): Error {
    return new ConnectFailure(message.slice(0, 40) || 'connect_error', `parley's socket.io endpoint refused the connection: ${message}`);
  }

  protected override closed(code: number): void {
    super.closed(this.closingCode ?? code);
  }
}

function connect(spec: ClientSpec, handlers: ClientHandlers): Promise<BenchSocket> {
  if (!spec.token) return Promise.reject(new ConnectFailure('no_token', 'parley needs an access token'));
  const { url, batch } = endpointOf(spec.endpoint);
  const auth: SocketIoAuth = batch ? { token: spec.token, batch: true } : { token: spec.token };
  let ws: WebSocket | undefined;
  const opened = openBaselineSocket(url, spec, (socket, pending) => {
    ws = socket;
    return new ParleySocketIoSocket(socket, handlers, pending, encodeConnect(auth));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ConnectFailure('timeout', `no welcome within ${CONNECT_TIMEOUT_MS} ms`));
      ws?.terminate();
    }, CONNECT_TIMEOUT_MS);
  });
  return Promise.race([opened, timeout]).finally(() => clearTimeout(timer));
}

export const parleySocketIoClient: TargetClient = { kind: 'parley-socketio', connect };
