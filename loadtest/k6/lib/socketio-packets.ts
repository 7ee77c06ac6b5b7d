/**
 * Engine.IO v4 / Socket.IO v5 packets, framed by hand: k6 has no
 * socket.io-client, and its WebSocket speaks the Engine.IO `websocket`
 * transport well enough. One WebSocket message is one Engine.IO packet (the
 * websocket transport never batches); an Engine.IO `message` packet carries
 * one Socket.IO packet of the main namespace `/`, whose namespace is left
 * out:
 *
 *   0{"sid":…,"pingInterval":…}   Engine.IO open          → send `40{auth}`
 *   2 / 3                          Engine.IO ping / pong   → answer a ping with a pong
 *   1                              Engine.IO close
 *   40{"sid":…}                    Socket.IO CONNECT: accepted
 *   41                             Socket.IO DISCONNECT
 *   42["event",arg] / 42<id>[…]    Socket.IO EVENT, with an ack id when a reply is wanted
 *   43<id>[reply]                  Socket.IO ACK: the reply to event <id>
 *   44{"message":…,"data":…}       Socket.IO CONNECT_ERROR
 *
 * Binary packets (45, 46) carry attachments parley never sends.
 */

/** The Engine.IO protocol revision and transport, as query parameters of the WebSocket URL. */
export const ENGINE_QUERY = 'EIO=4&transport=websocket';
export const PONG = '3';
/** Socket.IO DISCONNECT from the client: leaving the namespace before the transport closes. */
export const DISCONNECT = '41';

export type Packet =
  | { kind: 'open' }
  | { kind: 'ping' }
  /** Engine.IO close or Socket.IO DISCONNECT: the server ends the session. */
  | { kind: 'close' }
  | { kind: 'connect' }
  | { kind: 'connect_error'; message: string; data: unknown }
  | { kind: 'event'; name: string; arg: unknown }
  | { kind: 'ack'; id: number; reply: unknown }
  /** Engine.IO noop, pong, upgrade: nothing to do on a websocket-only session. */
  | { kind: 'other' }
  /** Not a packet this client can read; `code` tags parley_error_frames. */
  | { kind: 'invalid'; code: string };

/** The Socket.IO CONNECT packet with its `auth` payload. */
export function connectPacket(auth: object): string {
  return `40${JSON.stringify(auth)}`;
}

/** A Socket.IO EVENT packet: `name` with one argument, and an ack id when the reply should come back as an ACK. */
export function eventPacket(name: string, arg: unknown, ackId?: number): string {
  return `42${ackId ?? ''}${JSON.stringify([name, arg])}`;
}

/** Reads one Engine.IO packet (one WebSocket text message). */
export function decodePacket(text: string): Packet {
  switch (text[0]) {
    case '0':
      return { kind: 'open' };
    case '1':
      return { kind: 'close' };
    case '2':
      return { kind: 'ping' };
    case '4':
      return decodeSocketPacket(text.slice(1));
    case '3':
    case '5':
    case '6':
      return { kind: 'other' };
    default:
      return { kind: 'invalid', code: 'bad_engine_packet' };
  }
}

function parse(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

function decodeSocketPacket(text: string): Packet {
  const type = text[0];
  // Only the main namespace is used: a packet of another one (`/nsp,`) is not for us.
  if (text[1] === '/') return { kind: 'invalid', code: 'other_namespace' };
  const id = /^\d*/.exec(text.slice(1))![0];
  const json = text.slice(1 + id.length);
  switch (type) {
    case '0':
      return { kind: 'connect' };
    case '1':
      return { kind: 'close' };
    case '2':
    case '3': {
      const args = parse(json);
      if (!Array.isArray(args)) return { kind: 'invalid', code: args === undefined ? 'invalid_json' : 'bad_event' };
      if (type === '3') return id === '' ? { kind: 'invalid', code: 'bad_ack' } : { kind: 'ack', id: Number(id), reply: args[0] };
      return typeof args[0] === 'string' ? { kind: 'event', name: args[0], arg: args[1] } : { kind: 'invalid', code: 'bad_event' };
    }
    case '4': {
      const error = parse(json) as { message?: unknown; data?: unknown } | null | undefined;
      return { kind: 'connect_error', message: typeof error?.message === 'string' ? error.message : 'unknown', data: error?.data };
    }
    case '5':
    case '6':
      return { kind: 'invalid', code: 'binary_frame' };
    default:
      return { kind: 'invalid', code: 'bad_socketio_packet' };
  }
}
