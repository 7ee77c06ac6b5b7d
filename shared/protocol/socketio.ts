/**
 * The parley protocol over Socket.IO (Engine.IO v4 / Socket.IO v5, main
 * namespace): the same frames as the raw WebSocket endpoint, carried as
 * Socket.IO events. This module is the whole mapping; gateway, tests, bench
 * and any Socket.IO client use it, so the events are never restated by hand.
 *
 * Rules:
 * - **Connect.** The CONNECT packet's `auth` payload is `SocketIoAuth`: the
 *   access token, and the two upgrade options of the raw endpoint (`resume`,
 *   `batch`) as booleans. A refusal is a `connect_error` whose `message` is
 *   the catalogue code and whose `data` is the same problem+json body the raw
 *   upgrade answers with.
 * - **Server → client.** Every server frame is one event named by its
 *   `type`, with the whole frame (its `type` included) as the one argument:
 *   `welcome`, `message`, `messages`, `resumed`, `gap`, `event`, `presence`,
 *   `typing`, `announcement`, `error`, …
 * - **Client → server.** Every client frame is one event named by its type,
 *   with the frame as the one argument; the argument's `type` may be left
 *   out (the event name gives it) and otherwise must equal the event name.
 * - **Acknowledgements.** For the frame types in `ACKED_FRAMES`, a client that
 *   passes an ack callback gets the frame's one reply through it (`publish`:
 *   its `ack` or `error` frame; `ping`: its `pong` or `error`), and the reply
 *   is not also emitted as an event. Other frame types ignore an ack callback:
 *   `resume` answers with one `resumed` event per room, in order with the
 *   replayed `message` events, and `typing` has no reply. Without a callback,
 *   replies are events carrying the frame's `ref`, as on the raw endpoint.
 * - **Closing.** Socket.IO's DISCONNECT carries no code, so before the server
 *   disconnects a socket it emits `closing` (`ClosingEvent`) with the close
 *   code the raw endpoint would have used (1008 revoked, 1012 restarting, …)
 *   and the reason. After a server disconnect socket.io-client does not
 *   reconnect by itself: reconnect (`socket.connect()`) unless the code is
 *   1008. A transport that drops (network, slow reader) reconnects by itself.
 */
import Type, { type Static } from 'typebox';
import { checkClientFrame, checkServerFrame, type Decoded } from './codec.js';
import type { ClientFrame, ClientFrameType, ServerFrame, ServerFrameType } from './frames.js';

/** The default path of the Socket.IO endpoint (GATEWAY_SOCKETIO_PATH), on the gateway's port. */
export const SOCKETIO_PATH = '/socket.io/';

/** The CONNECT packet's `auth` payload. */
export const SocketIoAuth = Type.Object(
  {
    token: Type.String({ minLength: 1 }),
    /** As `?resume=1`: no live room messages until the socket's `resume` event. */
    resume: Type.Optional(Type.Boolean()),
    /** As `?batch=1`: a turn's messages of a room may come as one `messages` event. */
    batch: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SocketIoAuth = Static<typeof SocketIoAuth>;

/** Emitted just before a server-side disconnect: the close code the raw endpoint would send. */
export const CLOSING_EVENT = 'closing';
export const ClosingEvent = Type.Object({ code: Type.Integer(), reason: Type.String() }, { additionalProperties: false });
export type ClosingEvent = Static<typeof ClosingEvent>;

/**
 * Socket.IO rooms every socket of the transport is in, besides its parley
 * rooms' topics: for a process attached to the same adapter
 * (keys.socketIoChannel), e.g. `io.in(SOCKETIO_ROOMS.user(id)).fetchSockets()`
 * or `.disconnectSockets()` across all gateways. Emits from such a process
 * reach the sockets as they are, outside parley's sequencing and resume.
 */
export const SOCKETIO_ROOMS = {
  user: (userId: string) => `user:${userId}`,
  session: (sessionId: string) => `session:${sessionId}`,
};

/** Client frame types whose one reply is the event's acknowledgement, when the client asks for one. */
export const ACKED_FRAMES: { readonly [K in ClientFrameType]: boolean } = {
  publish: true,
  ping: true,
  resume: false,
  typing: false,
};

/** Client side: the event name and argument for a frame. */
export function toEvent(frame: ClientFrame): [ClientFrameType, ClientFrame] {
  return [frame.type, frame];
}

/** Server side: validates an event as the client frame it names. */
export function fromEvent(name: string, payload: unknown): Decoded<ClientFrame> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    if (!isClientEvent(name)) return checkClientFrame({ type: name });
    return { ok: false, error: { code: 'bad_frame', message: `event "${name}" needs one object argument, the frame` } };
  }
  const given = (payload as { type?: unknown }).type;
  if (given !== undefined && given !== name) {
    return { ok: false, error: { code: 'bad_frame', message: `event "${name.slice(0, 32)}" carries a frame of type "${String(given).slice(0, 32)}"` } };
  }
  return checkClientFrame(given === undefined ? { type: name, ...payload } : payload);
}

function isClientEvent(name: string): name is ClientFrameType {
  return Object.hasOwn(ACKED_FRAMES, name);
}

/** Client side: validates an event from the server as the server frame it names. */
export function fromServerEvent(name: string, payload: unknown): Decoded<ServerFrame> {
  const decoded = checkServerFrame(payload);
  if (decoded.ok && decoded.frame.type !== name) {
    return { ok: false, error: { code: 'bad_frame', message: `event "${name}" carries a "${decoded.frame.type}" frame` } };
  }
  return decoded;
}

/** The event a server frame is emitted as. */
export function eventOf(frame: ServerFrame): ServerFrameType {
  return frame.type;
}
