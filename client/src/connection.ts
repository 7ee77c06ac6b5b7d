/**
 * One WebSocket to a gateway, speaking frames only through the shared codec.
 *
 * - The token goes in the `parley.auth.<token>` subprotocol next to
 *   `parley.v1` (docs/protocol.md "Connecting and authenticating"): it works
 *   in browsers, and keeps the token out of URLs and proxy logs.
 * - `messages` frames (sockets opened with ?batch=1) are unpacked: the caller
 *   sees their `message` frames one by one, in order.
 * - A heartbeat notices a dead link the browser would not (a laptop waking
 *   up, a NAT that forgot us): after `intervalMs` without any frame it sends
 *   a `ping`; after `timeoutMs` more without any frame it gives the socket up
 *   and reports a close (4000, "heartbeat timeout").
 * - `close()` is the caller's own close: it is not reported back.
 */
import { decodeServerFrame, encodeClientFrame } from '../../shared/protocol/codec.js';
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL, type ClientFrame, type ServerFrame } from '../../shared/protocol/frames.js';
import type { WebSocketConstructor, WebSocketLike } from './types.js';

export interface ConnectionHandlers {
  /** The upgrade succeeded (the `welcome` frame follows). */
  open(): void;
  frame(frame: ServerFrame): void;
  /** The server sent something the codec refused (the frame is dropped). */
  invalid(error: Error): void;
  /** The socket is gone, once; `opened`: whether the upgrade had succeeded. */
  closed(code: number, reason: string, opened: boolean): void;
}

export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
}

export const HEARTBEAT_DEFAULTS: HeartbeatOptions = { intervalMs: 25_000, timeoutMs: 10_000 };
/** The close code reported when the heartbeat gives a socket up (a private-use code, RFC 6455 §7.4.2). */
export const HEARTBEAT_CLOSE = 4000;
const OPEN = 1;

export class Connection {
  private readonly ws: WebSocketLike;
  private opened = false;
  private done = false;
  private lastReceived = Date.now();
  private pinged = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private readonly listeners: [string, (event: any) => void][];

  constructor(
    WebSocketImpl: WebSocketConstructor,
    url: string,
    token: string,
    private readonly handlers: ConnectionHandlers,
    private readonly beat: HeartbeatOptions = HEARTBEAT_DEFAULTS,
  ) {
    this.ws = new WebSocketImpl(url, [SUBPROTOCOL, `${AUTH_SUBPROTOCOL_PREFIX}${token}`]);
    this.ws.binaryType = 'arraybuffer';
    this.listeners = [
      ['open', () => this.onOpen()],
      ['message', (event: { data: unknown }) => this.onMessage(event.data)],
      ['close', (event: { code?: number; reason?: string }) => this.finish(event.code ?? 1006, event.reason ?? '')],
    ];
    for (const [type, listener] of this.listeners) this.ws.addEventListener(type, listener);
    // Never removed: `ws` throws on an 'error' nobody listens to. The close that follows reports it.
    this.ws.addEventListener('error', () => undefined);
  }

  get isOpen(): boolean {
    return !this.done && this.opened && this.ws.readyState === OPEN;
  }

  /** Sends a frame; false when the socket is not open (the frame was not sent). */
  send(frame: ClientFrame): boolean {
    if (!this.isOpen) return false;
    try {
      this.ws.send(encodeClientFrame(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the socket on the caller's behalf; nothing more is reported. */
  close(code = 1000, reason = ''): void {
    if (this.done) return;
    this.detach();
    try {
      this.ws.close(code, reason);
    } catch {
      // already closing
    }
  }

  private onOpen(): void {
    this.opened = true;
    this.lastReceived = Date.now();
    this.handlers.open();
    const tick = Math.max(50, Math.min(this.beat.intervalMs, this.beat.timeoutMs) / 2);
    this.heartbeat = setInterval(() => this.checkHeartbeat(), tick);
    (this.heartbeat as { unref?: () => void }).unref?.();
  }

  private checkHeartbeat(): void {
    const idle = Date.now() - this.lastReceived;
    if (idle >= this.beat.intervalMs + this.beat.timeoutMs) {
      try {
        this.ws.close(HEARTBEAT_CLOSE, 'heartbeat timeout');
      } catch {
        // closing anyway
      }
      this.finish(HEARTBEAT_CLOSE, 'heartbeat timeout');
    } else if (idle >= this.beat.intervalMs && !this.pinged) {
      this.pinged = true;
      this.send({ type: 'ping', ref: 'heartbeat' });
    }
  }

  private onMessage(data: unknown): void {
    if (this.done) return;
    this.lastReceived = Date.now();
    this.pinged = false;
    const raw = typeof data === 'string' || data instanceof ArrayBuffer || data instanceof Uint8Array ? data : String(data);
    const decoded = decodeServerFrame(raw);
    if (!decoded.ok) {
      this.handlers.invalid(new Error(`the gateway sent an invalid frame: ${decoded.error.message}`));
      return;
    }
    const frame = decoded.frame;
    if (frame.type === 'messages') {
      for (const message of frame.messages) {
        if (this.done) return;
        this.handlers.frame({ type: 'message', ...message });
      }
    } else {
      this.handlers.frame(frame);
    }
  }

  private finish(code: number, reason: string): void {
    if (this.done) return;
    this.detach();
    this.handlers.closed(code, reason, this.opened);
  }

  private detach(): void {
    this.done = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const [type, listener] of this.listeners) this.ws.removeEventListener(type, listener);
  }
}
