/**
 * Per-socket state and the one way to send a frame to, or close, a socket,
 * whichever transport carries it: a uWS WebSocket (the raw endpoint) or a
 * Socket.IO socket (socketio/socket.ts), which take the same calls.
 */
import type { Principal } from '../shared/auth/claims.js';
import { encodeServerFrame, errorFrame } from '../shared/protocol/codec.js';
import type { ServerFrame } from '../shared/protocol/frames.js';
import { closeCodeOf, type ClosingErrorCode, type ErrorCode } from '../shared/errors.js';
import type { WebSocket } from './uws.js';
import type { GatewayMetrics } from './metrics.js';
import type { ConnLimits } from './rate-limits.js';
import type { Relayed } from './fanout/catch-up.js';
import { SioSocket } from './socketio/socket.js';

/** The transports a socket may come over; the `transport` label of the connection metrics. */
export type Transport = 'websocket' | 'socketio';

/** Attached to each uWS socket at upgrade (`ws.getUserData()`). */
export interface Conn {
  principal: Principal;
  transport: Transport;
  /** Rooms the user may publish to: read at connect, then kept current by membership events. */
  rooms: Set<string>;
  /** Rooms this socket receives: uWS topics it joined, each holding one acquired Redis subscription. */
  subscribed: Set<string>;
  /**
   * The rooms that get this user's presence events, read with `rooms` at the
   * upgrade for the online announcement; dropped (null) once the socket opened.
   */
  presenceRooms: string[] | null;
  /** When `rooms` was read (epoch ms): membership changes seen after this are replayed at open. */
  roomsReadAt: number;
  /** Set on close: async work that finishes later must not touch the socket. */
  closed: boolean;
  /**
   * Opened with `?resume=1` and no `resume` frame yet: rooms are subscribed
   * in Redis but the socket joins no live topic, so nothing arrives before
   * the replay it will ask for.
   */
  hold: boolean;
  /** Opened with `?batch=1`: joins rooms' batch topics (see Topics), so it may get `messages` frames. */
  batch: boolean;
  /** Rooms being resumed, with what the relay delivered meanwhile (see CatchUps); null while none is. */
  catchingUp: Map<string, Relayed[]> | null;
  /** Rate-limit state, created at the first limited action (most sockets only read). */
  limits: ConnLimits | null;
}

/** A connected client: `getUserData`, `subscribe`, `unsubscribe` and `end` mean the same on both transports. */
export type Socket = WebSocket<Conn> | SioSocket;

export class Sender {
  constructor(private readonly metrics: GatewayMetrics) {}

  send(ws: Socket, frame: ServerFrame): void {
    const conn = ws.getUserData();
    if (conn.closed) return;
    if (ws instanceof SioSocket) ws.emitFrame(frame);
    else ws.send(encodeServerFrame(frame), false);
    this.metrics.framesOut.inc({ type: frame.type, transport: conn.transport });
  }

  error(ws: Socket, code: ErrorCode, options: { message?: string; ref?: string | undefined; retryAfterMs?: number | undefined } = {}): void {
    this.metrics.errorsSent.inc({ code, transport: ws.getUserData().transport });
    this.send(ws, errorFrame(code, options));
  }

  /**
   * Ends the connection because of `code`: its `error` frame (with `message`
   * when given), then the close code the catalogue gives the error, with
   * `reason`. A no-op if already closed.
   */
  fail(ws: Socket, code: ClosingErrorCode, reason: string, message?: string): void {
    if (ws.getUserData().closed) return;
    this.error(ws, code, message === undefined ? {} : { message });
    this.close(ws, code, reason);
  }

  /** Closes with the catalogue's close code for `code`, sending no error frame; a no-op if already closed. */
  close(ws: Socket, code: ClosingErrorCode, reason: string): void {
    const conn = ws.getUserData();
    if (conn.closed) return;
    conn.closed = true;
    ws.end(closeCodeOf(code), reason);
  }
}
