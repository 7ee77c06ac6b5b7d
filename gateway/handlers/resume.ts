import { ParleyError } from '../../shared/errors.js';
import type { ChatMessage } from '../../shared/protocol/frames.js';
import type { Conn, Socket } from '../connection.js';
import type { FrameHandler, HandlerDeps } from './context.js';

/**
 * resume → for each listed room: replay, `resumed`, then live, in seq order.
 *
 * Catch-ups begin synchronously, before the first await, so everything the
 * relay delivers from then on (messages, gap notices) is buffered for the
 * socket; the log snapshot covers everything up to its `seq`; buffered items
 * newer than that are sent after the replay, and the socket joins the live
 * topic in the same synchronous step. Hence no gap and no reordering.
 *
 * After Redis lost data the snapshot's counter is reseeded past the loss and
 * the log holds nothing older, so the lost range comes back as `missing`
 * (`recovered: false`).
 */
export const handleResume: FrameHandler<'resume'> = async (frame, ws, conn, deps) => {
  if (!conn.hold) throw new ParleyError('bad_resume', 'resume needs a socket opened with ?resume=1, and is accepted once');
  conn.hold = false;
  const positions = new Map(frame.rooms.map(({ room, after }) => [room.toLowerCase(), after]));
  for (const room of conn.subscribed) if (!positions.has(room)) deps.topics.join(ws, room);
  for (const [room] of positions) {
    if (conn.rooms.has(room)) {
      deps.catchUps.begin(ws, room);
      continue;
    }
    positions.delete(room);
    deps.sender.error(ws, 'room_not_found', { ref: frame.ref, message: `not a member of room ${room}` });
  }
  await Promise.all([...positions].map(([room, after]) => resumeRoom(ws, conn, room, after, frame.ref, deps)));
};

async function resumeRoom(ws: Socket, conn: Conn, room: string, after: number, ref: string | undefined, deps: HandlerDeps) {
  let snapshot;
  try {
    // The snapshot must not predate the live relay it hands over to.
    await deps.roomLive(room);
    snapshot = await deps.roomLog.since(room, after, deps.relayed(room));
  } catch {
    deps.catchUps.cancel(ws, room);
    deps.sender.error(ws, 'unavailable', { ref, message: `could not read room ${room}; reconnect and resume again`, retryAfterMs: 500 });
    return;
  }
  // Closed, or the room was taken away meanwhile (kick): nothing to deliver.
  if (conn.closed || !conn.catchingUp?.has(room)) return;
  if (after > snapshot.seq) {
    deps.catchUps.cancel(ws, room);
    deps.sender.error(ws, 'bad_resume', {
      ref,
      message: `position ${after} is ahead of room ${room}, whose last seq is ${snapshot.seq}; it stays paused`,
    });
    return;
  }
  // The window no longer reaches back to `after`: say which seqs only the history API has.
  const reach = snapshot.oldest ?? snapshot.seq + 1;
  const missing = reach > after + 1 ? { from: after + 1, to: reach - 1 } : undefined;

  const send = (m: ChatMessage) => deps.sender.send(ws, { type: 'message', ...m });
  snapshot.messages.forEach(send);
  deps.sender.send(ws, {
    type: 'resumed',
    ...(ref === undefined ? {} : { ref }),
    room,
    recovered: missing === undefined,
    replayed: snapshot.messages.length,
    seq: snapshot.seq,
    ...(missing ? { missing } : {}),
  });
  for (const item of deps.catchUps.end(ws, room, snapshot.seq)) {
    if ('message' in item) send(item.message);
    else deps.sender.send(ws, { type: 'gap', room, missing: item.gap });
  }
  if (conn.subscribed.has(room)) deps.topics.join(ws, room);
  deps.metrics.resumes.inc({ recovered: String(missing === undefined) });
  deps.metrics.replayed.inc(snapshot.messages.length);
}
