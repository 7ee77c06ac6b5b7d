/**
 * HTTP calls to the api. Authenticated calls carry `Authorization: Bearer`;
 * a 401 `unauthorized` (the access token expired or is unknown) triggers one
 * refresh (shared with every concurrent caller) and one retry. Problem bodies
 * (RFC 9457, docs/protocol.md "HTTP endpoints") become ParleyRequestError
 * with their catalogue `code`; a 401 `session_revoked` ends the session.
 */
import type { Problem } from '../../shared/http/schemas.js';
import { ParleyRequestError, SessionEndedError, codeForStatus, isErrorCode, parseRetryAfter } from './errors.js';

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** Send the access token (default true). */
  auth?: boolean;
  headers?: Record<string, string>;
}

export interface HttpDeps {
  baseUrl: string;
  fetch: typeof fetch;
  /** The current access token, or null when there is no session. */
  token(): string | null;
  /** Refreshes the access token (single flight); rejects when that is impossible. */
  refresh(): Promise<unknown>;
  /** Called when an answer to a request made with `token` says its session is over (401 session_revoked). */
  ended(error: SessionEndedError, token: string): void;
}

export class Http {
  constructor(private readonly deps: HttpDeps) {}

  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
      else params.append(key, String(value));
    }
    const qs = params.toString();
    return `${this.deps.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  /** A JSON answer (undefined for 204). */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The successful Response itself (for downloads). */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const auth = options.auth ?? true;
    let [res, token] = await this.once(method, path, options, auth);
    if (res.ok) return res;
    let error = await toError(res);
    // An expired or unknown access token: refresh once (shared), then retry once.
    if (auth && error.code === 'unauthorized') {
      await this.deps.refresh();
      [res, token] = await this.once(method, path, options, auth);
      if (res.ok) return res;
      error = await toError(res);
    }
    if (auth && error.code === 'session_revoked') {
      const ended = new SessionEndedError(error.code, error.message, errorInit(error));
      this.deps.ended(ended, token!);
      throw ended;
    }
    throw error;
  }

  /** One request; resolves with the response and the access token it carried. */
  private async once(method: string, path: string, options: RequestOptions, auth: boolean): Promise<[Response, string | null]> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const token = auth ? this.deps.token() : null;
    if (auth) {
      if (!token) throw new ParleyRequestError('unauthorized', 'Not logged in', { status: null });
      headers.authorization = `Bearer ${token}`;
    }
    const init: RequestInit = { method, headers };
    // No content-type without a body: an empty body typed application/json is a 400.
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    try {
      return [await this.deps.fetch(this.url(path, options.query), init), token];
    } catch (err) {
      throw new ParleyRequestError('unavailable', `${method} ${path}: ${err instanceof Error ? err.message : String(err)}`, {
        status: null,
        retryable: true,
        cause: err,
      });
    }
  }
}

function errorInit(error: ParleyRequestError) {
  return {
    status: error.status,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.problem === undefined ? {} : { problem: error.problem }),
  };
}

/** A non-2xx answer as a ParleyRequestError: the problem body's code, or one for the status. */
export async function toError(res: Response): Promise<ParleyRequestError> {
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  let body: unknown;
  try {
    body = JSON.parse(await res.text());
  } catch {
    body = undefined;
  }
  const init = { status: res.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (typeof body === 'object' && body !== null && isErrorCode((body as Problem).code)) {
    const problem = body as Problem;
    return new ParleyRequestError(problem.code, problem.detail || problem.title, { ...init, retryable: problem.retryable, problem });
  }
  const code = codeForStatus(res.status);
  return new ParleyRequestError(code, `HTTP ${res.status}`, init);
}
