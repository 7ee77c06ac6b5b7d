import { ParleyError } from '../../shared/errors.js';
import type { FrameHandler } from './context.js';

/**
 * typing → a `typing` indicator to the room's members on every gateway.
 * Members only; rate-limited per socket; deduplicated per user across devices
 * (see TypingPublisher). Nothing is acknowledged unless `ref` is given, in
 * which case a `pong` confirms it was handled.
 */
export const handleTyping: FrameHandler<'typing'> = async (frame, ws, conn, deps) => {
  const room = frame.room.toLowerCase();
  if (!conn.rooms.has(room)) throw new ParleyError('room_not_found');
  deps.rateLimits.take(ws, conn, 'typing');
  await deps.typing.typing({
    room,
    user: { id: conn.principal.userId, username: conn.principal.username },
    expiresInMs: deps.limits.typingTtlMs,
  });
  if (frame.ref !== undefined) deps.sender.send(ws, { type: 'pong', ref: frame.ref, ts: Date.now() });
};
