import { ParleyError } from '../../shared/errors.js';
import type { ServerFrameOf } from '../../shared/protocol/frames.js';
import type { FrameHandler } from './context.js';

/**
 * publish → ack. Members only (non-members get room_not_found, the same as a
 * room that does not exist). The ack is sent only after the broker accepted
 * the message into the room log and the persistence queue.
 */
export const handlePublish: FrameHandler<'publish'> = async (frame, ws, conn, deps) => {
  const started = process.hrtime.bigint();
  if (!deps.accepting()) throw new ParleyError('shutting_down');
  deps.rateLimits.take(ws, conn, 'publish');
  // Room ids are stored lowercase; the uuid format also admits uppercase.
  const room = frame.room.toLowerCase();
  // A miss is checked against Postgres: the join may be newer than this gateway's view.
  if (!conn.rooms.has(room) && !(await deps.confirmRoom(ws, room))) throw new ParleyError('room_not_found');
  const bytes = Buffer.byteLength(frame.body, 'utf8');
  if (bytes > deps.limits.maxMessageBytes) {
    throw new ParleyError('message_too_large', `message body is ${bytes} bytes; the limit is ${deps.limits.maxMessageBytes}`);
  }
  const accepted = await deps.track(
    deps.publisher.publish({
      room,
      author: { id: conn.principal.userId, username: conn.principal.username },
      cmid: frame.cmid,
      kind: 'text',
      body: frame.body,
      // A counter below what this gateway relayed went backwards (Redis lost acked writes).
      floor: deps.relayed(room),
    }),
  );
  const ack: ServerFrameOf<'ack'> = {
    type: 'ack',
    room: accepted.room,
    cmid: frame.cmid,
    id: accepted.id,
    seq: accepted.seq,
    createdAt: new Date(accepted.acceptedAt).toISOString(),
    duplicate: accepted.duplicate,
  };
  if (frame.ref !== undefined) ack.ref = frame.ref;
  deps.sender.send(ws, ack);
  deps.metrics.publishAck.observe(Number(process.hrtime.bigint() - started) / 1e9);
};
