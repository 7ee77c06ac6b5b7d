/**
 * Admission of a Socket.IO connect (the namespace middleware): the same
 * refusals, token verification and room read as the raw upgrade
 * (admission.ts). A refusal is a `connect_error` whose message is the
 * catalogue code and whose data is the problem+json body the raw upgrade
 * would answer with.
 *
 * The admitted socket's state stays in this process (`connOf`), and the
 * token is removed from the handshake once verified: Socket.IO's adapter
 * sends `handshake` and `data` to any process that asks (`fetchSockets`), so
 * they carry only the user's and session's ids.
 */
import type { Socket as IoSocket } from 'socket.io';
import { Compile } from 'typebox/compile';
import { ParleyError, type ErrorCode } from '../../shared/errors.js';
import { problem } from '../../shared/http/problem.js';
import type { Logger } from '../../shared/log.js';
import { SocketIoAuth } from '../../shared/protocol/socketio.js';
import type { Admission } from '../admission.js';
import type { Conn } from '../connection.js';

const checkAuth = Compile(SocketIoAuth);

/** What other processes attached to the adapter see of a socket (`socket.data`). */
export interface SocketIoData {
  userId: string;
  sessionId: string;
  username: string;
}

/** A refusal as Socket.IO sends it: `connect_error` with the code as message and the problem body as data. */
function refusal(code: ErrorCode, detail?: string): Error & { data: unknown } {
  return Object.assign(new Error(code), { data: problem(code, detail) });
}

export function createConnect(admission: Admission, logger: Logger) {
  const conns = new WeakMap<IoSocket, Conn>();
  const refuse = (code: ErrorCode, next: (err?: Error) => void, detail?: string) => {
    admission.count(code, 'socketio');
    next(refusal(code, detail));
  };

  const middleware = (socket: IoSocket, next: (err?: Error) => void): void => {
    const refused = admission.refusal();
    if (refused) return refuse(refused, next);
    const auth: unknown = socket.handshake.auth;
    if (!checkAuth.Check(auth)) {
      const missing = typeof (auth as { token?: unknown } | null)?.token !== 'string';
      if (missing) return refuse('unauthorized', next, 'No access token: connect with auth: { token }');
      return refuse('bad_request', next, 'auth must be { token, resume?, batch? }');
    }
    const { token, resume, batch } = auth;
    socket.handshake.auth = {};
    admission.admit(token, 'socketio', { hold: resume === true, batch: batch === true }).then(
      (conn) => {
        admission.count('accepted', 'socketio');
        conns.set(socket, conn);
        const { userId, sessionId, username } = conn.principal;
        socket.data = { userId, sessionId, username } satisfies SocketIoData;
        next();
      },
      (err: unknown) => {
        if (!(err instanceof ParleyError)) logger.error({ err }, 'socket.io connect failed');
        refuse(err instanceof ParleyError ? err.code : 'unavailable', next);
      },
    );
  };

  return {
    middleware,
    /** The state of a socket the middleware admitted. */
    connOf: (socket: IoSocket): Conn => {
      const conn = conns.get(socket);
      if (!conn) throw new Error('socket.io socket connected without admission');
      return conn;
    },
  };
}
