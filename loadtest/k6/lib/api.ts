/**
 * The few api calls setup() and teardown() make, typed with the request and
 * response bodies from shared/http/schemas.ts (type-only imports: the bundle
 * must not pull in typebox).
 */
import http, { type ObjectBatchRequest, type RefinedResponse, type ResponseType } from 'k6/http';
import { fail } from 'k6';
import type { CreateRoomRequest, Credentials, MyRoom, Problem, TokenResponse } from '../../../shared/http/schemas.js';
import { common } from './config.js';

type Response = RefinedResponse<ResponseType | undefined>;

/**
 * `route` becomes the `name` tag of k6's http_* metrics: tagged by URL, every
 * room id would start a time series of its own.
 */
function request(method: string, route: string, path: string, token: string | null, body?: object): ObjectBatchRequest {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return {
    method,
    url: `${common.apiUrl}${path}`,
    body: body === undefined ? null : JSON.stringify(body),
    // 4xx answers are judged by the callers (a taken username is fine), not counted in http_req_failed.
    params: { headers, tags: { name: route }, responseCallback: http.expectedStatuses({ min: 200, max: 499 }) },
  };
}

export function registerRequest(credentials: Credentials): ObjectBatchRequest {
  return request('POST', '/v1/auth/register', '/v1/auth/register', null, credentials);
}

export function loginRequest(credentials: Credentials): ObjectBatchRequest {
  return request('POST', '/v1/auth/login', '/v1/auth/login', null, credentials);
}

export function createRoomRequest(token: string, room: CreateRoomRequest): ObjectBatchRequest {
  return request('POST', '/v1/rooms', '/v1/rooms', token, room);
}

export function joinRoomRequest(token: string, room: string): ObjectBatchRequest {
  return request('POST', '/v1/rooms/{id}/join', `/v1/rooms/${room}/join`, token);
}

export function deleteRoomRequest(token: string, room: string): ObjectBatchRequest {
  return request('DELETE', '/v1/rooms/{id}', `/v1/rooms/${room}`, token);
}

/**
 * Sends the requests `chunk` at a time (PARLEY_SETUP_BATCH), so a thousand
 * registrations queue on the client instead of timing out on the api.
 */
export function batched(requests: ObjectBatchRequest[], chunk = common.setupBatch): Response[] {
  const responses: Response[] = [];
  for (let i = 0; i < requests.length; i += chunk) {
    responses.push(...http.batch(requests.slice(i, i + chunk)));
  }
  return responses;
}

/** The problem `code` of an error answer, or null when the body is not a problem. */
export function problemCode(res: Response): string | null {
  return typeof res.body === 'string' && res.body.startsWith('{') ? ((JSON.parse(res.body) as Partial<Problem>).code ?? null) : null;
}

/** Aborts the test with the request, status and problem detail. */
export function failWith(what: string, res: Response): never {
  const body = typeof res.body === 'string' ? res.body.slice(0, 300) : '';
  const status = res.status === 0 ? `no response (${res.error})` : `HTTP ${res.status}`;
  return fail(`${what}: ${status} ${body}`);
}

export function tokenOf(res: Response, what: string): string {
  if (res.status !== 200 || typeof res.body !== 'string') failWith(what, res);
  return (JSON.parse(res.body) as TokenResponse).accessToken;
}

export function roomOf(res: Response, what: string): string {
  if (res.status !== 201 || typeof res.body !== 'string') failWith(what, res);
  return (JSON.parse(res.body) as MyRoom).id;
}
