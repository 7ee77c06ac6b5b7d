/**
 * Routes decoded client frames to their handlers; one module per frame type.
 * Adding a frame type to the protocol without a handler is a compile error.
 */
import { ParleyError } from '../../shared/errors.js';
import type { ClientFrame, ClientFrameType } from '../../shared/protocol/frames.js';
import type { Conn, Socket } from '../connection.js';
import type { FrameHandler, FrameHandlers, HandlerDeps } from './context.js';
import type { Logger } from '../../shared/log.js';
import { handlePing } from './ping.js';
import { handlePublish } from './publish.js';
import { handleResume } from './resume.js';
import { handleTyping } from './typing.js';

export const HANDLERS: FrameHandlers = {
  publish: handlePublish,
  ping: handlePing,
  resume: handleResume,
  typing: handleTyping,
};

export function createDispatcher(deps: HandlerDeps, logger: Logger) {
  const fail = (ws: Socket, frame: ClientFrame, err: unknown) => {
    if (err instanceof ParleyError) {
      deps.sender.error(ws, err.code, { message: err.message, ref: frame.ref, retryAfterMs: err.retryAfterMs });
      return;
    }
    logger.error({ err, frameType: frame.type }, 'frame handler failed');
    deps.sender.error(ws, 'internal', { ref: frame.ref });
  };
  return (frame: ClientFrame, ws: Socket, conn: Conn): void => {
    const handler = HANDLERS[frame.type as ClientFrameType] as FrameHandler<ClientFrameType>;
    try {
      const result = handler(frame, ws, conn, deps);
      if (result) result.catch((err: unknown) => fail(ws, frame, err));
    } catch (err) {
      fail(ws, frame, err);
    }
  };
}
