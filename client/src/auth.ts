/**
 * The session: login, registration, and refreshing the access token before
 * it expires (docs/protocol.md "Client checklist" 1–2).
 *
 * Rules:
 * - One refresh at a time: a refresh token works once, and presenting it
 *   again (even as a retry) revokes the session. Concurrent callers share the
 *   refresh in flight.
 * - A timer refreshes `marginMs` before the access token expires (half its
 *   lifetime when that is shorter). A refresh that fails for a passing reason
 *   (network, 503) is tried again later; one that fails with
 *   `refresh_token_invalid`, `refresh_token_reused` or `session_revoked` ends
 *   the session: no more refreshes, and the client stops.
 */
import type { TokenResponse } from '../../shared/http/schemas.js';
import { ParleyRequestError, SESSION_ENDING_CODES, SessionEndedError } from './errors.js';
import type { Http } from './http.js';
import type { Session } from './types.js';

/** setTimeout's largest delay (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Wait before trying a refresh again after a passing failure, when the server did not say. */
const REFRESH_RETRY_MS = 5_000;

export interface AuthDeps {
  http: () => Http;
  marginMs: number;
  /** Tokens changed: persist them (null: cleared). */
  changed(session: Session | null): void;
  /** The session is over; the client must stop. */
  ended(error: SessionEndedError): void;
  /** A refresh the timer started failed for a passing reason. */
  error(error: Error): void;
}

export class Auth {
  private current: Session | null;
  private refreshing: Promise<Session> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Every access token of the current session (it changes with each refresh). */
  private readonly tokens = new Set<string>();
  /** The access token's lifetime when we received it (ms), for the "half its lifetime" margin. */
  private lifetimeMs: number | null = null;

  constructor(
    private readonly deps: AuthDeps,
    initial: Session | null,
  ) {
    this.current = initial ? { ...initial, user: { ...initial.user } } : null;
    if (initial) this.tokens.add(initial.accessToken);
    this.lifetimeMs = initial ? jwtLifetimeMs(initial.accessToken) : null;
    this.schedule();
  }

  get session(): Session | null {
    return this.current;
  }

  token(): string | null {
    return this.current?.accessToken ?? null;
  }

  /** Whether `accessToken` belongs to the current session (an answer about an older session is stale news). */
  owns(accessToken: string): boolean {
    return this.tokens.has(accessToken);
  }

  /** The margin before expiry at which the access token is refreshed. */
  marginMs(): number {
    const lifetime = this.lifetimeMs ?? (this.current ? this.current.accessExpiresAt - Date.now() : 0);
    return Math.min(this.deps.marginMs, Math.max(0, lifetime / 2));
  }

  /** Whether the access token is within its refresh margin (or expired). */
  dueForRefresh(now = Date.now()): boolean {
    return this.current !== null && now >= this.current.accessExpiresAt - this.marginMs();
  }

  async login(username: string, password: string): Promise<Session> {
    const tokens = await this.deps.http().json<TokenResponse>('POST', '/v1/auth/login', { body: { username, password }, auth: false });
    return this.adopt(tokens, true);
  }

  async register(username: string, password: string): Promise<Session> {
    await this.deps.http().json('POST', '/v1/auth/register', { body: { username, password }, auth: false });
    return this.login(username, password);
  }

  /** Single flight: concurrent callers share one refresh. */
  refresh(): Promise<Session> {
    if (this.refreshing) return this.refreshing;
    const session = this.current;
    if (!session) return Promise.reject(new ParleyRequestError('unauthorized', 'Not logged in'));
    const work = (async () => {
      try {
        const tokens = await this.deps.http().json<TokenResponse>('POST', '/v1/auth/refresh', {
          body: { refreshToken: session.refreshToken },
          auth: false,
        });
        // Logged out or in again meanwhile: these tokens belong to a session that is gone.
        if (this.current !== session) throw new ParleyRequestError('unauthorized', 'The session changed during the refresh');
        return this.adopt(tokens, false);
      } catch (err) {
        if (this.current === session && err instanceof ParleyRequestError) {
          if (SESSION_ENDING_CODES.has(err.code)) {
            const ended = new SessionEndedError(err.code, err.message, { status: err.status });
            this.end(ended);
            throw ended;
          }
          this.retryLater(err.retryAfterMs ?? REFRESH_RETRY_MS);
        }
        throw err;
      } finally {
        this.refreshing = null;
      }
    })();
    this.refreshing = work;
    return work;
  }

  /** Forgets the session (logout): emits `changed(null)`. */
  clear(): void {
    if (!this.current) return;
    this.current = null;
    this.tokens.clear();
    this.lifetimeMs = null;
    this.stopTimer();
    this.deps.changed(null);
  }

  /** The session is over: forget it and tell the client (once per session). */
  end(error: SessionEndedError): void {
    if (!this.current) return;
    this.clear();
    this.deps.ended(error);
  }

  stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private adopt(tokens: TokenResponse, fresh: boolean): Session {
    const now = Date.now();
    if (fresh) this.tokens.clear();
    this.tokens.add(tokens.accessToken);
    this.current = {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: now + tokens.expiresIn * 1000,
      refreshExpiresAt: now + tokens.refreshExpiresIn * 1000,
      user: { id: tokens.user.id, username: tokens.user.username },
    };
    this.lifetimeMs = tokens.expiresIn * 1000;
    this.schedule();
    this.deps.changed(this.current);
    return this.current;
  }

  /** Arms the timer that refreshes `marginMs()` before the access token expires. */
  private schedule(): void {
    this.stopTimer();
    if (!this.current) return;
    const delay = this.current.accessExpiresAt - this.marginMs() - Date.now();
    this.arm(Math.max(0, delay));
  }

  private retryLater(delayMs: number): void {
    this.stopTimer();
    this.arm(delayMs);
  }

  private arm(delayMs: number): void {
    const timer = setTimeout(() => {
      this.timer = null;
      this.refresh().catch((err: unknown) => {
        if (!(err instanceof SessionEndedError)) this.deps.error(err instanceof Error ? err : new Error(String(err)));
      });
    }, Math.min(delayMs, MAX_TIMER_MS));
    // In Node the timer alone must not keep the process alive (a socket or a caller does).
    (timer as { unref?: () => void }).unref?.();
    this.timer = timer;
  }
}

/** exp − iat of a JWT, in ms, or null when the token cannot be read (it is opaque to clients but for these). */
function jwtLifetimeMs(token: string): number | null {
  try {
    const part = token.split('.')[1];
    if (!part) return null;
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json) as { iat?: unknown; exp?: unknown };
    return typeof claims.iat === 'number' && typeof claims.exp === 'number' ? (claims.exp - claims.iat) * 1000 : null;
  } catch {
    return null;
  }
}
