/**
 * The HTTP api calls of the api load scenario: history pages, search, and
 * tus uploads (creation, then PATCHes) made with plain k6/http requests, as
 * any tus client would send them (docs/protocol.md, "Files"). Bodies are
 * typed from shared/http/schemas.ts. Every request is tagged with its route
 * (`name`), which the thresholds select on; the outcome of each call is a
 * check, and 429s are counted apart, since they mean a rate limit to raise
 * for the test rather than a slow api.
 */
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { check } from 'k6';
import { b64encode } from 'k6/encoding';
import { Counter, Trend } from 'k6/metrics';
import type { HistoryResponse, SearchResponse } from '../../../shared/http/schemas.js';
import { common } from './config.js';

type Response = RefinedResponse<ResponseType | undefined>;

/** Requests the api answered 429: raise its rate limits for the load test (loadtest/README.md). */
export const rateLimited = new Counter('parley_http_rate_limited');
/** From creating an upload to its last PATCH being accepted. */
export const uploadDuration = new Trend('parley_upload_duration', true);
/** Uploads completed; each becomes a `file` message in its room. */
export const uploads = new Counter('parley_uploads');

export const ROUTES = {
  login: '/v1/auth/login',
  history: '/v1/rooms/{id}/messages',
  search: '/v1/search/messages',
  uploadCreate: 'POST /v1/uploads',
  uploadPatch: 'PATCH /v1/uploads/{id}',
} as const;

const TUS_VERSION = '1.0.0';

function params(route: string, token: string | null, headers: Record<string, string> = {}, expected: number[] = [200]) {
  return {
    headers: token === null ? headers : { ...headers, authorization: `Bearer ${token}` },
    tags: { name: route },
    responseCallback: http.expectedStatuses(...expected),
  };
}

function judged(res: Response, route: string, expected: number): boolean {
  if (res.status === 429) rateLimited.add(1, { name: route });
  return check(res, { [`${route} answers ${expected}`]: (r) => r.status === expected });
}

function json<T>(res: Response): T | null {
  return typeof res.body === 'string' && res.body.startsWith('{') ? (JSON.parse(res.body) as T) : null;
}

/** Logs in; argon2id runs on the api for each call. */
export function logIn(username: string, password: string): void {
  const res = http.post(`${common.apiUrl}${ROUTES.login}`, JSON.stringify({ username, password }), params(ROUTES.login, null, { 'content-type': 'application/json' }));
  judged(res, ROUTES.login, 200);
}

/** Reads up to `pages` pages of a room's history, newest first, following `nextBefore`. */
export function readHistory(token: string, room: string, pages: number, limit: number): void {
  let before: number | null = null;
  for (let page = 0; page < pages; page++) {
    const query: string = before === null ? `limit=${limit}` : `limit=${limit}&before=${before}`;
    const res = http.get(`${common.apiUrl}/v1/rooms/${room}/messages?${query}`, params(ROUTES.history, token));
    if (!judged(res, ROUTES.history, 200)) return;
    const body: HistoryResponse | null = json<HistoryResponse>(res);
    before = body?.nextBefore ?? null;
    if (before === null) return;
  }
}

/** Searches the persisted messages of the caller's rooms (or one room). */
export function search(token: string, q: string, room: string | null): void {
  const query = `q=${encodeURIComponent(q)}&limit=20${room === null ? '' : `&room=${room}`}`;
  const res = http.get(`${common.apiUrl}${ROUTES.search}?${query}`, params(ROUTES.search, token));
  if (judged(res, ROUTES.search, 200)) check(json<SearchResponse>(res), { 'search answers results': (b) => Array.isArray(b?.results) });
}

/** Upload-Metadata: comma-separated `key base64(value)` pairs. */
function metadata(entries: Record<string, string>): string {
  return Object.entries(entries)
    .map(([key, value]) => `${key} ${b64encode(value)}`)
    .join(',');
}

/**
 * Uploads `bytes` bytes of text to `room` through tus: POST creates the
 * upload (Upload-Length, Upload-Metadata), then PATCHes of at most `chunk`
 * bytes send it from Upload-Offset 0. Returns whether it completed.
 */
export function upload(token: string, room: string, filename: string, bytes: number, chunk: number): boolean {
  const started = Date.now();
  const created = http.post(
    `${common.apiUrl}/v1/uploads`,
    null,
    params(ROUTES.uploadCreate, token, {
      'Tus-Resumable': TUS_VERSION,
      'Upload-Length': String(bytes),
      'Upload-Metadata': metadata({ room, filename, filetype: 'text/plain' }),
    }, [201]),
  );
  if (!judged(created, ROUTES.uploadCreate, 201)) return false;
  const location = created.headers.Location ?? created.headers.location;
  if (!check(location, { 'upload has a Location': (l) => typeof l === 'string' && l !== '' })) return false;
  // Absolute when the api knows its public URL (API_TRUST_PROXY behind a proxy); else relative to the api.
  const url = /^https?:\/\//.test(location) ? location : `${common.apiUrl}${location}`;
  for (let offset = 0; offset < bytes; offset += chunk) {
    const size = Math.min(chunk, bytes - offset);
    const res = http.patch(
      url,
      'x'.repeat(size),
      params(ROUTES.uploadPatch, token, {
        'Tus-Resumable': TUS_VERSION,
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream',
      }, [204]),
    );
    if (!judged(res, ROUTES.uploadPatch, 204)) return false;
    if (!check(res, { 'upload offset advances': (r) => Number(r.headers['Upload-Offset']) === offset + size })) return false;
  }
  uploadDuration.add(Date.now() - started);
  uploads.add(1);
  return true;
}
