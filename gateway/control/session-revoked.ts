import type { ControlHandler } from './context.js';

/** Logout or refresh-token reuse: the session's sockets here are closed (1008, after a `session_revoked` frame). */
export const onSessionRevoked: ControlHandler<'session_revoked'> = (event, deps) => deps.closeSession(event.sessionId, event.reason);
