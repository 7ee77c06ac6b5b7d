/**
 * What every load socket does, whatever carries its frames (socket.ts: the
 * raw endpoint; socketio-socket.ts: Socket.IO): one `k6/websockets`
 * connection that publishes timestamped bodies and reads the server frames,
 * recording the parley metrics and checking itself:
 * - `welcome received`: once per socket, within PARLEY_WELCOME_TIMEOUT;
 * - `subscribed to its rooms`: the welcome lists every room the script expects;
 * - `publish acked`: once per publish; an `error` reply, or no reply before
 *   the socket closes, fails it;
 * - `socket not dropped`: once per welcomed socket; closing by the script passes.
 *
 * Frames are built as typed objects from shared/protocol/frames.ts; the
 * transport serializes them. Every timer belongs to a socket and is cleared
 * when it closes: a k6 iteration lasts until its sockets are closed and its
 * timers have run.
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { clearInterval, clearTimeout, setInterval, setTimeout, type IntervalID, type TimeoutID } from 'k6/timers';
import { WebSocket, type ErrorEvent, type MessageEvent, type Params, type ReadyState } from 'k6/websockets';
import type { ClientFrame, ClientFrameOf, ServerFrame, ServerFrameOf } from '../../../shared/protocol/frames.js';
import { common } from './config.js';
import { ackLatency, delivered, deliveryLatency, droppedSockets, errorFrames, published, welcomeLatency } from './metrics.js';
import { loadBody, sentAtOf } from './payload.js';

const OPEN: ReadyState = 1;

export interface SocketOptions {
  token: string;
  /** The run id from setup(): only bodies carrying it are timed. */
  run: string;
  /** Rooms the welcome must list. */
  rooms?: string[];
  onWelcome?(welcome: ServerFrameOf<'welcome'>): void;
}

/** Sockets opened by this VU so far: part of every cmid, which must be unique per user. */
let socketsOpened = 0;
/** One socket error is logged per VU, so a refused connection is explained without flooding the log. */
let errorLogged = false;

export abstract class LoadSocket {
  protected readonly ws: WebSocket;
  private readonly openedAt = Date.now();
  private readonly cmidPrefix: string;
  private welcomed = false;
  private welcomeChecked = false;
  /** Set once the script stops the socket: a close after that is not a drop. */
  protected stopping = false;
  /** cmid → send time of publishes without a reply yet. */
  private readonly pending = new Map<string, number>();
  private readonly timeouts: TimeoutID[] = [];
  private readonly intervals: IntervalID[] = [];
  private publishes = 0;

  constructor(
    protected readonly options: SocketOptions,
    [url, params]: [string, Params],
  ) {
    socketsOpened += 1;
    this.cmidPrefix = `${options.run}.${exec.vu.idInTest}.${socketsOpened}`;
    this.ws = new WebSocket(url, null, params);
    // A close requested while still connecting waits for the open: closing a
    // connecting k6 socket can block the VU's event loop until the handshake ends.
    this.ws.onopen = () => {
      if (this.stopping) this.ws.close();
    };
    this.ws.onmessage = (event) => this.read(event);
    this.ws.onerror = (event) => this.failed(event);
    this.ws.onclose = () => this.closed();
    this.after(common.welcomeTimeoutMs, () => {
      if (this.welcomed) return;
      this.checkWelcome(false);
      this.stopping = true;
      this.close();
    });
  }

  /** Reads one WebSocket message: its server frames go to `receive`. */
  protected abstract read(event: MessageEvent | undefined): void;
  /** Sends a client frame; a reply to it comes back through `receive`. */
  protected abstract send(frame: ClientFrame): void;

  /** Whether frames may be sent: the WebSocket is open (and the transport connected). */
  protected isOpen(): boolean {
    return this.ws.readyState === OPEN;
  }

  /** Tags of a drop on parley_dropped_sockets. */
  protected dropTags(): Record<string, string> | undefined {
    return undefined;
  }

  /** Publishes one timestamped body to `room`; false when the socket is not open or is stopping. */
  publish(room: string): boolean {
    if (this.stopping || !this.isOpen()) return false;
    this.publishes += 1;
    const cmid = `${this.cmidPrefix}.${this.publishes}`;
    const frame: ClientFrameOf<'publish'> = { type: 'publish', ref: cmid, room, cmid, body: loadBody(this.options.run, common.bodyBytes) };
    this.send(frame);
    this.pending.set(cmid, Date.now());
    published.add(1);
    return true;
  }

  /** Publishes to `room` every `intervalMs`, the first time after `delayMs`, until the socket stops. */
  publishEvery(room: string, intervalMs: number, delayMs: number): void {
    this.after(delayMs, () => {
      this.publish(room);
      this.intervals.push(setInterval(() => this.publish(room), Math.max(1, Math.round(intervalMs))));
    });
  }

  /** Stops the socket at `epochMs` (see stop). */
  stopAt(epochMs: number): void {
    this.after(epochMs - Date.now(), () => this.stop());
  }

  /** Stops publishing, waits up to PARLEY_ACK_GRACE for outstanding acks, then closes. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.intervals.forEach(clearInterval);
    if (this.pending.size === 0) this.close();
    else this.after(common.ackGraceMs, () => this.close());
  }

  protected close(): void {
    if (this.ws.readyState === OPEN) this.ws.close();
  }

  private after(ms: number, fn: () => void): void {
    this.timeouts.push(setTimeout(fn, Math.max(0, Math.round(ms))));
  }

  /** Takes one server frame, read at `at` (the message event's timestamp). */
  protected receive(frame: ServerFrame, at: number): void {
    switch (frame.type) {
      case 'welcome':
        this.welcome(frame, at);
        break;
      case 'message':
        this.message(frame, at);
        break;
      case 'messages':
        for (const message of frame.messages) this.message({ type: 'message', ...message }, at);
        break;
      case 'ack':
        this.ack(frame, at);
        break;
      case 'error':
        this.error(frame);
        break;
      default:
        // presence, events, typing, announcements: not what these scenarios measure.
        break;
    }
  }

  private welcome(frame: ServerFrameOf<'welcome'>, at: number): void {
    if (this.welcomed) return;
    this.welcomed = true;
    welcomeLatency.add(at - this.openedAt);
    this.checkWelcome(true);
    const expected = this.options.rooms ?? [];
    check(frame, { 'subscribed to its rooms': (w) => expected.every((room) => w.rooms.includes(room)) });
    this.options.onWelcome?.(frame);
  }

  private message(frame: ServerFrameOf<'message'>, at: number): void {
    const sentAt = sentAtOf(frame.body, this.options.run);
    if (sentAt === null) return;
    deliveryLatency.add(at - sentAt);
    delivered.add(1);
  }

  private ack(frame: ServerFrameOf<'ack'>, at: number): void {
    const sentAt = this.pending.get(frame.cmid);
    if (sentAt === undefined) return;
    this.pending.delete(frame.cmid);
    ackLatency.add(at - sentAt);
    check(frame, { 'publish acked': () => true });
    if (this.stopping && this.pending.size === 0) this.close();
  }

  private error(frame: ServerFrameOf<'error'>): void {
    errorFrames.add(1, { code: frame.code });
    if (frame.ref === undefined || !this.pending.delete(frame.ref)) return;
    check(frame, { 'publish acked': () => false });
    if (this.stopping && this.pending.size === 0) this.close();
  }

  private checkWelcome(received: boolean): void {
    if (this.welcomeChecked) return;
    this.welcomeChecked = true;
    check(received, { 'welcome received': (r) => r });
  }

  /** Logs `what` went wrong with the socket, once per VU. */
  protected warnOnce(what: string): void {
    if (errorLogged) return;
    errorLogged = true;
    console.warn(`parley: VU ${exec.vu.idInTest}: ${what} (further socket errors on this VU are not logged)`);
  }

  private failed(event: ErrorEvent | undefined): void {
    if (event !== undefined) this.warnOnce(`socket error: ${event.error}`);
  }

  private closed(): void {
    this.timeouts.forEach(clearTimeout);
    this.intervals.forEach(clearInterval);
    this.checkWelcome(false);
    if (this.welcomed) {
      check(this.stopping, { 'socket not dropped': (stopped) => stopped });
      if (!this.stopping) droppedSockets.add(1, this.dropTags());
    }
    for (let i = 0; i < this.pending.size; i++) check(false, { 'publish acked': (acked) => acked });
    this.pending.clear();
  }
}
