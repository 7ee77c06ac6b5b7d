/**
 * The few Engine.IO v4 / Socket.IO v5 packets the benchmark client needs,
 * written and read by hand on a raw `ws` socket (one WebSocket text frame is
 * one Engine.IO packet on the websocket transport).
 *
 * Why not socket.io-client: each of its sockets is a Manager, an Engine.IO
 * socket, a transport, reconnection state and event emitters on top of the
 * same `ws`-like socket. The generator runs thousands of sockets per thread
 * on the two cores the servers also use, so the client cost per socket must
 * be the same for every target, and the other targets' clients are one `ws`
 * socket each.
 *
 * Why not engine.io-parser and socket.io-parser either (the libraries
 * Socket.IO itself parses with): measured on the bench machine, decoding a
 * typical `message` event through them costs about twice this codec's time
 * (~0.95 µs against ~0.45 µs, both mostly JSON.parse), and encoding a
 * `publish` ~1.3x; that is generator CPU taken from the servers under test,
 * and for one target only. codec.test.ts checks this codec against both
 * libraries instead: what they write, it reads, and the other way round.
 *
 * Only the main namespace and text packets: no binary events, no
 * long-polling, no server-side acks requested from the client.
 */

/** Client → server: join the main namespace (answered by CONNECT with the sid). */
export const CONNECT_FRAME = '40';

/** Client → server: join the main namespace with an `auth` payload (what socket.io-client sends for `auth`). */
export function encodeConnect(auth: object): string {
  return `40${JSON.stringify(auth)}`;
}
/** Client → server: the answer to the server's heartbeat ping. */
export const PONG_FRAME = '3';

export type Packet =
  /** Engine.IO open (`0{"sid":…,"pingInterval":…}`): the client may now CONNECT. */
  | { type: 'open' }
  /** Engine.IO ping (`2`): must be answered with PONG_FRAME within pingTimeout. */
  | { type: 'ping' }
  /** Socket.IO CONNECT (`40{"sid":…}`): the socket is in the namespace. */
  | { type: 'connect' }
  /** Socket.IO CONNECT_ERROR (`44{"message":…}`). */
  | { type: 'connect_error'; message: string }
  /** Socket.IO DISCONNECT (`41`) or Engine.IO close (`1`): the server is done with this socket. */
  | { type: 'disconnect' }
  /** Socket.IO EVENT (`42[name, data]`); `data` is the first argument. */
  | { type: 'event'; name: string; data: unknown }
  /**
   * Socket.IO ACK (`43<id>[…]`) for an event this client emitted with `id`;
   * `data` is the ack's first argument (undefined for `43<id>[]`).
   */
  | { type: 'ack'; id: number; data: unknown }
  /** Anything this client has no use for (noop, binary, other namespaces). */
  | { type: 'other' };

const OTHER: Packet = { type: 'other' };
const CODE_0 = 48;
const CODE_9 = 57;

/** An event with `data` as its only argument; with `ackId`, the server answers with an ACK carrying it. */
export function encodeEvent(name: string, data: unknown, ackId?: number): string {
  return `42${ackId ?? ''}${JSON.stringify([name, data])}`;
}

export function decodePacket(frame: string): Packet {
  switch (frame.charCodeAt(0)) {
    case CODE_0 + 2:
      return { type: 'ping' };
    case CODE_0:
      return { type: 'open' };
    case CODE_0 + 1:
      return { type: 'disconnect' };
    case CODE_0 + 4:
      return decodeSocketIo(frame);
    default:
      return OTHER;
  }
}

/** `4` then the Socket.IO type digit, then (main namespace) an optional ack id, then JSON. */
function decodeSocketIo(frame: string): Packet {
  const kind = frame.charCodeAt(1) - CODE_0;
  if (kind === 1) return { type: 'disconnect' };
  if (kind !== 0 && kind !== 2 && kind !== 3 && kind !== 4) return OTHER;
  let end = 2;
  while (end < frame.length && frame.charCodeAt(end) >= CODE_0 && frame.charCodeAt(end) <= CODE_9) end++;
  const id = end > 2 ? Number(frame.slice(2, end)) : undefined;
  if (kind === 3) {
    if (id === undefined) return OTHER;
    // `[]`, an ack without arguments (all the baseline's), is not parsed.
    const args = frame.length - end > 2 ? parse(frame.slice(end)) : undefined;
    return { type: 'ack', id, data: Array.isArray(args) ? args[0] : undefined };
  }
  if (kind === 0) return { type: 'connect' };
  const json = parse(frame.slice(end));
  if (kind === 4) {
    const message = (json as { message?: unknown } | undefined)?.message;
    return { type: 'connect_error', message: typeof message === 'string' ? message : frame.slice(2) };
  }
  if (!Array.isArray(json) || typeof json[0] !== 'string') return OTHER;
  return { type: 'event', name: json[0], data: json[1] };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
