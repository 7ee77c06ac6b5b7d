/**
 * ParleyClient: the session (auth.ts), the link to the gateways (link.ts),
 * per-room ordering and gap repair (sequencer.ts), pending publishes
 * (publisher.ts), uploads (uploads.ts) and the HTTP endpoints (api.ts),
 * composed behind one object and one typed event emitter. The rules each
 * part follows are in its module; docs/client.md is the user's guide.
 */
import { WS_PATH } from '../../shared/protocol/frames.js';
import { ParleyApi } from './api.js';
import { Auth } from './auth.js';
import { backoffDelay, backoffOptions } from './backoff.js';
import { ParleyRequestError, SessionEndedError } from './errors.js';
import { Emitter } from './events.js';
import { Http } from './http.js';
import { Inbound, TYPING_REF } from './inbound.js';
import { Link } from './link.js';
import { Publisher } from './publisher.js';
import { SEQUENCER_DEFAULTS, Sequencer } from './sequencer.js';
import { startUpload } from './uploads.js';
import type {
  ConnectionState,
  ParleyClientOptions,
  ParleyEvents,
  PublishAck,
  Session,
  StateInfo,
  UploadHandle,
  UploadOptions,
  WebSocketConstructor,
} from './types.js';

let defaultWebSocket: WebSocketConstructor | undefined = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;

/** Sets the WebSocket used when options.WebSocket is absent (node.ts sets `ws` on Node 20). */
export function setDefaultWebSocket(impl: WebSocketConstructor | undefined): void {
  defaultWebSocket = impl;
}

/** The shortest interval between two `typing` frames of one room (the server rate-limits them, 1/s). */
const TYPING_INTERVAL_MS = 2_000;

export class ParleyClient extends ParleyApi {
  protected readonly http: Http;
  private readonly emitter = new Emitter<ParleyEvents>();
  private readonly auth: Auth;
  private readonly link: Link;
  private readonly sequencer: Sequencer;
  private readonly publisher: Publisher;
  private readonly apiUrl: string;
  private currentState: ConnectionState = 'idle';
  private readonly inbound: Inbound;
  private readonly typingSent = new Map<string, number>();
  /** While logout() runs, the server's answers about the session ending are expected, not news. */
  private loggingOut = false;
  /** The user whose room positions the sequencer holds. */
  private positionsOf: string | null;

  constructor(options: ParleyClientOptions = {}) {
    super();
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
    const apiUrl = (options.apiUrl ?? origin)?.replace(/\/+$/, '');
    if (!apiUrl) throw new Error('ParleyClient: options.apiUrl is required outside a browser');
    this.apiUrl = apiUrl;
    this.positionsOf = options.session?.user.id ?? null;
    const wsUrl = options.wsUrl ?? `${apiUrl.replace(/^http/, 'ws')}${WS_PATH}`;
    // Called through a wrapper: a bare `fetch` called as another object's method throws in browsers.
    const fetchImpl = options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
    const backoff = backoffOptions(options.reconnect);

    this.auth = new Auth(
      {
        http: () => this.http,
        marginMs: options.refreshMarginMs ?? 60_000,
        changed: (session) => {
          // Another user's positions mean nothing: start afresh.
          if (session && session.user.id !== this.positionsOf) this.sequencer.reset();
          if (session) this.positionsOf = session.user.id;
          this.emitter.emit('session', session);
        },
        ended: (error) => this.ended(error),
        error: (error) => this.emitter.emit('error', error),
      },
      options.session ?? null,
    );
    this.http = new Http({
      baseUrl: apiUrl,
      fetch: fetchImpl,
      token: () => this.auth.token(),
      refresh: () => this.auth.refresh(),
      ended: (error, token) => {
        if (this.auth.owns(token)) this.auth.end(error);
      },
    });
    this.sequencer = new Sequencer(
      {
        history: (room, before, limit) => this.history(room, { before, limit }),
        deliver: (message) => this.emitter.emit('message', message),
        skip: (room, range) => this.emitter.emit('skip', room, range),
        fill: (room, range, reason, done) => this.emitter.emit('fill', room, range, reason, done),
        error: (error) => this.emitter.emit('error', error),
      },
      {
        gapWaitMs: options.gapWaitMs ?? SEQUENCER_DEFAULTS.gapWaitMs,
        historyRetryMs: options.historyRetryMs ?? SEQUENCER_DEFAULTS.historyRetryMs,
        historyAttempts: options.historyAttempts ?? SEQUENCER_DEFAULTS.historyAttempts,
      },
    );
    this.publisher = new Publisher({
      send: (frame) => this.link.send(frame),
      limits: () => this.link.limits,
      retryDelay: (attempt) => backoffDelay(backoff, attempt),
      timeoutMs: options.publishTimeoutMs ?? 30_000,
    });
    this.link = new Link({
      WebSocket: () => options.WebSocket ?? defaultWebSocket,
      url: (attempt) => (typeof wsUrl === 'function' ? wsUrl(attempt) : wsUrl),
      resume: options.resume ?? true,
      batch: options.batch ?? true,
      backoff,
      token: () => this.auth.token(),
      dueForRefresh: () => this.auth.dueForRefresh(),
      refresh: () => this.auth.refresh(),
      probe: () => this.http.json('GET', '/v1/me'),
      state: (state, info) => this.setState(state, info),
      welcome: (frame) => {
        this.emitter.emit('welcome', { user: frame.user, rooms: frame.rooms });
        this.emitter.emit('frame', frame);
        return this.sequencer.positions(frame.rooms);
      },
      ready: () => this.publisher.connected(),
      down: () => this.publisher.disconnected(),
      frame: (frame) => this.inbound.frame(frame),
      revoked: (code, message) => this.auth.end(new SessionEndedError(code, message)),
      error: (error) => this.emitter.emit('error', error),
    });
    this.inbound = new Inbound(this.emitter, this.sequencer, this.publisher, () => this.auth.session?.user.id);
  }

  on<E extends keyof ParleyEvents>(event: E, listener: ParleyEvents[E]): () => void {
    return this.emitter.on(event, listener);
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  get session(): Session | null {
    return this.auth.session;
  }

  get user(): { id: string; username: string } | null {
    return this.auth.session?.user ?? null;
  }

  // ---------------------------------------------------------------- auth

  /** Registers, then logs in. */
  register(username: string, password: string): Promise<Session> {
    return this.auth.register(username, password);
  }

  login(username: string, password: string): Promise<Session> {
    return this.auth.login(username, password);
  }

  /** Single flight: concurrent callers share one refresh (a refresh token works once). */
  refresh(): Promise<Session> {
    return this.auth.refresh();
  }

  /** Logs out on the server, closes the socket, clears the session. */
  async logout(): Promise<void> {
    // The socket first, so that the server's 1008 close is not taken for a revocation elsewhere.
    this.stop(new ParleyRequestError('unauthorized', 'Logged out'));
    this.loggingOut = true;
    try {
      if (this.auth.session) await this.serverLogout();
    } finally {
      this.loggingOut = false;
      this.auth.clear();
      this.sequencer.reset();
      this.positionsOf = null;
    }
  }

  // ---------------------------------------------------------------- connection

  /** Opens the socket (with ?resume=1), resolves at the first welcome; then reconnects by itself until disconnect()/logout(). */
  connect(): Promise<void> {
    if (!this.auth.session) return Promise.reject(new ParleyRequestError('unauthorized', 'Log in before connecting'));
    return this.link.start();
  }

  /** Closes the socket and stops reconnecting (state 'closed'). Pending publishes reject. */
  disconnect(): void {
    this.stop(new ParleyRequestError('unavailable', 'The client was disconnected', { retryable: true }));
  }

  // ---------------------------------------------------------------- messages

  /** Resolves with the ack; retries the identical frame until acked or publishTimeoutMs (see publisher.ts). */
  publish(room: string, body: string, options: { cmid?: string } = {}): Promise<PublishAck> {
    if (!this.auth.session) return Promise.reject(new ParleyRequestError('unauthorized', 'Log in before publishing'));
    return this.publisher.publish(room, body, options.cmid ?? globalThis.crypto.randomUUID());
  }

  /** Tells the room I am typing; at most one frame per room every 2 s, dropped while disconnected. */
  typing(room: string): void {
    const now = Date.now();
    if (now - (this.typingSent.get(room) ?? 0) < TYPING_INTERVAL_MS) return;
    if (this.link.send({ type: 'typing', ref: TYPING_REF, room })) this.typingSent.set(room, now);
  }

  /** The last seq delivered through 'message' for a room (undefined if none yet). */
  lastSeq(room: string): number | undefined {
    return this.sequencer.lastSeq(room);
  }

  /** Sets a room's position (e.g. after loading its newest history page) so live delivery continues from there without a fill. */
  setLastSeq(room: string, seq: number): void {
    this.sequencer.setLast(room, seq);
  }

  // ---------------------------------------------------------------- files

  /** tus upload (resumable, retried); `done` resolves when the file message exists. */
  upload(room: string, file: Blob | Uint8Array, options: UploadOptions): UploadHandle {
    return startUpload(
      {
        endpoint: `${this.apiUrl}/v1/uploads`,
        token: async () => {
          if (this.auth.dueForRefresh()) await this.auth.refresh().catch(() => undefined);
          const token = this.auth.token();
          if (!token) throw new ParleyRequestError('unauthorized', 'Not logged in');
          return token;
        },
        unauthorized: () => void this.auth.refresh().catch(() => undefined),
      },
      room,
      file,
      options,
    );
  }

  // ---------------------------------------------------------------- internals

  private setState(state: ConnectionState, info: StateInfo): void {
    this.currentState = state;
    this.emitter.emit('state', state, info);
  }

  /** Stops the link and rejects pending publishes with `reason`; state 'closed'. */
  private stop(reason: ParleyRequestError): void {
    this.link.stop(reason);
    this.publisher.rejectAll(reason);
    if (this.currentState !== 'closed') this.setState('closed', {});
  }

  /** The session is over: stop, and say so once. */
  private ended(error: SessionEndedError): void {
    this.stop(error);
    if (this.loggingOut) return;
    this.emitter.emit('session_ended', { code: error.code, message: error.message });
  }

  private async serverLogout(): Promise<void> {
    try {
      await this.http.json('POST', '/v1/auth/logout');
    } catch (err) {
      // Already over on the server: nothing left to end.
      if (err instanceof SessionEndedError || (err instanceof ParleyRequestError && err.code === 'refresh_token_invalid')) return;
      throw err;
    }
  }
}
