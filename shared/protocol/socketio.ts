/**
 * The parley protocol over Socket.IO (Engine.IO v4 / Socket.IO v5, main
 * namespace): the same frames as the raw WebSocket endpoint, carried as
 * Socket.IO events. This module is the whole mapping; gateway, tests, bench
 * and any Socket.IO client use it, so the events are never restated by hand.
 * Its constants live in socketio-constants.ts (no dependencies, for clients
 * that cannot load typebox: the k6 scripts) and its payload schemas in
 * socketio-schemas.ts; both are re-exported here.
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
import { checkClientFrame, checkServerFrame, type Decoded } from './codec.js';
import type { ClientFrame, ClientFrameType, ServerFrame, ServerFrameType } from './frames.js';
import { ACKED_FRAMES } from './socketio-constants.js';

// The typebox-free part, for clients that cannot load typebox (the k6 bundles).
export { ACKED_FRAMES, CLOSING_EVENT, SOCKETIO_PATH, toEvent } from './socketio-constants.js';
// The payloads' schemas, whose types need no codec.
export { ClosingEvent, SocketIoAuth } from './socketio-schemas.js';

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

/** Server side: validates an event as the client frame it names. */
export function fromEvent(name: string, payload: unknown): Decoded<ClientFrame> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    if (!isClientEvent(name)) return checkClientFrame({ type: name });
    return { ok: false, error: { code: 'bad_frame', message: `event "${name.slice(0, 32)}" needs one object argument, the frame` } };
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
