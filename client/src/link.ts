/**
 * The client's link to the gateways: one Connection at a time, reopened
 * after every close until stopped (docs/protocol.md "Close codes" and
 * "Client checklist" 3, 7).
 *
 * - Every socket is opened with `?resume=1` (and `&batch=1`); after its
 *   `welcome` it sends one `resume` frame with the positions the client
 *   knows, and only then reports itself ready (pending publishes go after).
 * - A close with the `session_revoked` close code ends the session (unless
 *   the error before it was `rate_limit_abuse`, which shares the code).
 * - Any other close reconnects after a delay: the backoff, except that a
 *   drain (1012, `shutting_down`) reconnects at the initial delay and an
 *   `error` frame's `retryAfterMs` is honoured. The backoff restarts after a
 *   `welcome`.
 * - Before connecting, a token within its refresh margin is refreshed. A
 *   failed upgrade looks like any close (browsers hide the status), so after
 *   two in a row the token is checked with `GET /v1/me`, which refreshes it on
 *   a 401 (and ends the session on `session_revoked`).
 */
import { ERRORS, type ErrorCode } from '../../shared/errors.js';
import { UPGRADE_OPTIONS, type ClientFrame, type ServerFrame, type ServerFrameOf } from '../../shared/protocol/frames.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { Connection, type HeartbeatOptions } from './connection.js';
import { ParleyRequestError } from './errors.js';
import type { ConnectionState, GatewayLimits, StateInfo, WebSocketConstructor } from './types.js';

/** The most rooms one `resume` frame may list (the frame's schema). */
const MAX_RESUME_ROOMS = 10_000;

export interface LinkDeps {
  WebSocket(): WebSocketConstructor | undefined;
  url(attempt: number): string;
  resume: boolean;
  batch: boolean;
  backoff: BackoffOptions;
  heartbeat?: HeartbeatOptions;
  token(): string | null;
  dueForRefresh(): boolean;
  refresh(): Promise<unknown>;
  /** Checks the token over HTTP (refreshing it on a 401). */
  probe(): Promise<unknown>;
  state(state: ConnectionState, info: StateInfo): void;
  /** A `welcome`: returns the positions to resume. */
  welcome(frame: ServerFrameOf<'welcome'>): { room: string; after: number }[];
  /** The socket is ready for publishes (its `resume` was sent). */
  ready(): void;
  /** The socket is gone. */
  down(): void;
  frame(frame: ServerFrame): void;
  /** The session was revoked (the socket was closed for it). */
  revoked(code: ErrorCode, message: string): void;
  error(error: Error): void;
}

export class Link {
  limits: GatewayLimits | null = null;
  private conn: Connection | null = null;
  private running = false;
  private open = false;
  /** Reconnects since the last `welcome`. */
  private attempt = 0;
  /** Closes before the upgrade succeeded, in a row. */
  private failedUpgrades = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The last `error` frame without a ref on the current socket: it may explain the close. */
  private lastError: ServerFrameOf<'error'> | null = null;
  private first: { promise: Promise<void>; resolve(): void; reject(error: Error): void } | null = null;

  constructor(private readonly deps: LinkDeps) {}

  get isOpen(): boolean {
    return this.open && this.conn?.isOpen === true;
  }

  /** Starts connecting (if not already); resolves at the first `welcome`. */
  start(): Promise<void> {
    if (this.running) return this.first?.promise ?? Promise.resolve();
    this.running = true;
    this.attempt = 0;
    this.failedUpgrades = 0;
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.first = { promise, resolve, reject };
    this.deps.state('connecting', {});
    void this.connect();
    return promise;
  }

  /** Closes the socket and stops reconnecting; a pending start() rejects with `reason`. */
  stop(reason: Error): void {
    this.running = false;
    this.open = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const conn = this.conn;
    this.conn = null;
    if (conn) {
      conn.close(1000, 'client closed');
      this.deps.down();
    }
    this.first?.reject(reason);
    this.first = null;
  }

  send(frame: ClientFrame): boolean {
    return this.isOpen && this.conn!.send(frame);
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    try {
      if (this.deps.dueForRefresh()) await this.deps.refresh();
      else if (this.failedUpgrades >= 2) await this.deps.probe();
    } catch {
      // Passing failures are retried below; a session that ended has stopped the link.
    }
    if (!this.running) return;
    const token = this.deps.token();
    const WebSocketImpl = this.deps.WebSocket();
    if (!token || !WebSocketImpl) {
      const error = !token
        ? new ParleyRequestError('unauthorized', 'Not logged in')
        : new Error('No WebSocket implementation: pass options.WebSocket, or install `ws` and import @parley/client under Node');
      this.deps.error(error);
      this.stop(error);
      this.deps.state('closed', {});
      return;
    }
    const url = this.withOptions(this.deps.url(this.attempt));
    this.lastError = null;
    try {
      const conn: Connection = new Connection(
        WebSocketImpl,
        url,
        token,
        {
          open: () => {
            this.failedUpgrades = 0;
          },
          frame: (frame) => this.onFrame(conn, frame),
          invalid: (error) => this.deps.error(error),
          closed: (code, reason, opened) => this.onClose(conn, code, reason, opened),
        },
        this.deps.heartbeat,
      );
      this.conn = conn;
    } catch (err) {
      this.deps.error(err instanceof Error ? err : new Error(String(err)));
      this.onClose(null, 1006, 'could not open the socket', false);
    }
  }

  private withOptions(base: string): string {
    const options = [this.deps.resume ? `${UPGRADE_OPTIONS.resume}=1` : '', this.deps.batch ? `${UPGRADE_OPTIONS.batch}=1` : ''].filter(Boolean);
    return options.length === 0 ? base : `${base}${base.includes('?') ? '&' : '?'}${options.join('&')}`;
  }

  private onFrame(conn: Connection, frame: ServerFrame): void {
    if (conn !== this.conn) return;
    if (frame.type === 'welcome') {
      this.attempt = 0;
      this.limits = frame.limits;
      const positions = this.deps.welcome(frame);
      if (this.conn !== conn) return;
      if (this.deps.resume) conn.send({ type: 'resume', ref: 'resume', rooms: positions.slice(0, MAX_RESUME_ROOMS) });
      this.open = true;
      this.deps.ready();
      this.deps.state('open', {});
      this.first?.resolve();
      this.first = null;
      return;
    }
    if (frame.type === 'error' && frame.ref === undefined) this.lastError = frame;
    this.deps.frame(frame);
  }

  private onClose(conn: Connection | null, code: number, reason: string, opened: boolean): void {
    if (conn !== this.conn) return;
    this.conn = null;
    this.open = false;
    this.deps.down();
    if (!this.running) return;
    if (!opened) this.failedUpgrades++;
    const last = this.lastError;
    if (code === ERRORS.session_revoked.close && last?.code !== 'rate_limit_abuse') {
      this.deps.revoked(last?.code ?? 'session_revoked', last?.message ?? (reason || ERRORS.session_revoked.message));
      return;
    }
    let delayMs: number;
    if (code === ERRORS.shutting_down.close) delayMs = backoffDelay(this.deps.backoff, 0);
    else if (last?.retryAfterMs !== undefined) delayMs = last.retryAfterMs;
    else delayMs = backoffDelay(this.deps.backoff, this.attempt);
    this.attempt++;
    this.deps.state('reconnecting', { attempt: this.attempt, delayMs, code, ...(reason ? { reason } : {}) });
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delayMs);
  }
}
