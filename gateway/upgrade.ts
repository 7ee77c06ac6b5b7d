/**
 * The WebSocket upgrade: refusals (draining, connection limit, subprotocol,
 * missing token) answered at once as problem+json; then the socket admitted
 * (token verified, rooms read: admission.ts), asynchronously, and created.
 */
import { ParleyError, type ErrorCode } from '../shared/errors.js';
import { PROBLEM_CONTENT_TYPE, problem } from '../shared/http/problem.js';
import type { Logger } from '../shared/log.js';
import type { Admission } from './admission.js';
import type { Conn } from './connection.js';
import { readUpgradeAuth } from './token.js';
import { UPGRADE_OPTIONS } from '../shared/protocol/frames.js';
import type { HttpRequest, HttpResponse, us_socket_context_t } from './uws.js';

const STATUS_LINE: Record<number, string> = {
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/** Answers a request with the catalogue's status and problem+json body for `code`. */
export function reject(res: HttpResponse, code: ErrorCode, detail?: string): void {
  const body = problem(code, detail);
  res.writeStatus(STATUS_LINE[body.status] ?? `${body.status} Error`).writeHeader('content-type', PROBLEM_CONTENT_TYPE);
  if (body.retryable) res.writeHeader('retry-after', '1');
  res.end(JSON.stringify(body));
}

export interface UpgradeDeps {
  admission: Admission;
  logger: Logger;
}

export function createUpgrade(deps: UpgradeDeps) {
  const { admission } = deps;
  const refuse = (res: HttpResponse, code: ErrorCode, detail?: string) => {
    admission.count(code, 'websocket');
    reject(res, code, detail);
  };

  return (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    // uWS invalidates `req` at the first await: read everything now.
    const key = req.getHeader('sec-websocket-key');
    const protocolHeader = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const query = req.getQuery() ?? '';
    const auth = readUpgradeAuth(protocolHeader, query);
    const options = new URLSearchParams(query);
    // `?resume=1`: hold live room delivery until the client's `resume` frame.
    const hold = options.get(UPGRADE_OPTIONS.resume) === '1';
    // `?batch=1`: a turn's messages of a room may come as one `messages` frame.
    const batch = options.get(UPGRADE_OPTIONS.batch) === '1';
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });

    const refusal = admission.refusal();
    if (refusal) return refuse(res, refusal);
    if (auth.protocolError) return refuse(res, 'bad_request', auth.protocolError);
    if (!auth.token) return refuse(res, 'unauthorized', 'No access token: use ?token= or the parley.auth.<token> subprotocol');

    void (async () => {
      try {
        const conn = await admission.admit(auth.token!, 'websocket', { hold, batch });
        if (aborted) return;
        admission.count('accepted', 'websocket');
        // Deliberately NOT inside res.cork(), though corked it would cost far
        // less: uncorked, uWS writes the 101 piece by piece (about 25 send()
        // calls, ~190 µs of CPU per upgrade on the benchmark machine, and a
        // warning line on stderr each time), corked one send() (~15 µs). But
        // after an asynchronous upgrade, cork()'s epilogue can read the old
        // HTTP state from memory the new WebSocket now occupies and shut the
        // socket down right after `open` (uNetworking/uWebSockets.js#1108;
        // fixed upstream in uWebSockets#1929, not in the build we can load).
        // Measured with cork: 4 of 10,000 sockets of a benchmark closed
        // before `welcome`, none of 1,000 in e2e/connect-burst.test.ts. A
        // connect that fails at random costs more than the CPU. upgrade()
        // writes the 101 itself.
        res.upgrade<Conn>(conn, key, auth.protocol, extensions, context);
      } catch (err) {
        if (aborted) return;
        const code: ErrorCode = err instanceof ParleyError ? err.code : 'unavailable';
        if (!(err instanceof ParleyError)) deps.logger.error({ err }, 'upgrade failed');
        res.cork(() => refuse(res, code));
      }
    })();
  };
}
