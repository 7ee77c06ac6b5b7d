import type { FrameHandler } from './context.js';

/** Application-level ping for clients that cannot send WebSocket pings (browsers). */
export const handlePing: FrameHandler<'ping'> = (frame, ws, _conn, deps) => {
  deps.sender.send(ws, frame.ref === undefined ? { type: 'pong', ts: Date.now() } : { type: 'pong', ref: frame.ref, ts: Date.now() });
};
