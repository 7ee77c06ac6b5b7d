/**
 * The test socket for parley's Socket.IO transport: socket.io-client, with
 * frames read and written only through the shared mapping
 * (shared/protocol/socketio.ts). It keeps what it receives like ParleySocket
 * (FrameLog), so a test reads the same frames over either transport.
 *
 * Replies: a frame whose type takes an ack (ACKED_FRAMES) is emitted with an
 * ack callback, and the reply that arrives through it is recorded like any
 * received frame; `reply(ref)` finds it. `request` returns it directly.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientFrame, ServerFrame } from '../protocol/frames.js';
import type { Problem } from '../http/schemas.js';
import { ACKED_FRAMES, CLOSING_EVENT, SOCKETIO_PATH, fromServerEvent, toEvent, type ClosingEvent, type SocketIoAuth } from '../protocol/socketio.js';
import { FrameLog } from './frame-log.js';

export interface SioConnectOptions {
  /** Engine.IO transports, in order of preference: `['websocket']` (default), `['polling']`, or both (polling, then upgrade). */
  transports?: ('websocket' | 'polling')[];
  resume?: boolean;
  batch?: boolean;
  path?: string;
  timeoutMs?: number;
}

/** A connect refused by the gateway: `connect_error` with the catalogue code and the problem body. */
export class SocketIoRefused extends Error {
  constructor(
    readonly code: string,
    readonly problem: Problem | undefined,
  ) {
    super(`socket.io connect refused: ${code}`);
  }
}

export class SioParleySocket extends FrameLog {
  /** The close code from the server's `closing` event, and why the socket disconnected. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private gone = false;

  private constructor(readonly socket: Socket) {
    super();
    socket.onAny((event: string, payload: unknown) => {
      if (event === CLOSING_EVENT) return;
      const decoded = fromServerEvent(event, payload);
      if (decoded.ok) this.received(decoded.frame);
      else this.fail(new Error(`server sent an invalid "${event}" event: ${decoded.error.message}: ${JSON.stringify(payload).slice(0, 200)}`));
    });
    let closing: ClosingEvent | undefined;
    socket.on(CLOSING_EVENT, (event: ClosingEvent) => (closing = event));
    this.closed = new Promise((resolve) =>
      socket.on('disconnect', (reason: string) => {
        this.gone = true;
        // A drop without `closing` is what the raw endpoint's clients see as 1006.
        resolve(closing ? { code: closing.code, reason: closing.reason } : { code: reason === 'io client disconnect' ? 1000 : 1006, reason });
        this.notify();
      }),
    );
  }

  protected isClosed(): boolean {
    return this.gone;
  }

  /** The Engine.IO transport in use now (`polling` or `websocket`). */
  get transport(): string {
    return this.socket.io.engine.transport.name;
  }

  /**
   * Connects to `origin` (http://host:port of a gateway) and resolves once
   * the namespace accepted the socket (its `welcome` follows); rejects with
   * SocketIoRefused on `connect_error`.
   */
  static connect(origin: string, token: string | null, options: SioConnectOptions = {}): Promise<SioParleySocket> {
    const auth: Partial<SocketIoAuth> = {};
    if (token !== null) auth.token = token;
    if (options.resume) auth.resume = true;
    if (options.batch) auth.batch = true;
    const socket = io(origin, {
      path: options.path ?? SOCKETIO_PATH,
      transports: options.transports ?? ['websocket'],
      auth,
      reconnection: false,
      forceNew: true,
      timeout: options.timeoutMs ?? 10_000,
    });
    const sio = new SioParleySocket(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(sio));
      socket.once('connect_error', (err: Error & { data?: Problem }) => {
        socket.close();
        reject(new SocketIoRefused(err.message, err.data));
      });
    });
  }

  /** Sends a frame as its event; a frame that takes an ack is sent with one, and its reply recorded. */
  send(frame: ClientFrame): void {
    const [event, payload] = toEvent(frame);
    if (ACKED_FRAMES[frame.type]) this.socket.emit(event, payload, (reply: unknown) => this.record(event, reply));
    else this.socket.emit(event, payload);
  }

  /** Sends a frame that takes an ack and resolves with its reply (which is not recorded). */
  request(frame: ClientFrame, timeoutMs = 10_000): Promise<ServerFrame> {
    const [event, payload] = toEvent(frame);
    return this.socket.timeout(timeoutMs).emitWithAck(event, payload).then((reply: unknown) => {
      const type = (reply as { type?: unknown } | null)?.type;
      const decoded = fromServerEvent(typeof type === 'string' ? type : '?', reply);
      if (!decoded.ok) throw new Error(`invalid reply to "${event}": ${decoded.error.message}`);
      return decoded.frame;
    });
  }

  /** Emits anything: only for tests of malformed input. */
  emitRaw(event: string, ...args: unknown[]): void {
    this.socket.emit(event, ...args);
  }

  close(): Promise<{ code: number; reason: string }> {
    if (!this.gone) this.socket.disconnect();
    return this.closed;
  }

  private record(event: string, reply: unknown): void {
    const type = (reply as { type?: unknown } | null)?.type;
    const decoded = fromServerEvent(typeof type === 'string' ? type : '?', reply);
    if (decoded.ok) this.received(decoded.frame);
    else this.fail(new Error(`invalid reply to "${event}": ${decoded.error.message}`));
  }
}
