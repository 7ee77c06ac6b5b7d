/**
 * The payloads the Socket.IO mapping (socketio.ts, which re-exports them)
 * adds to parley's frames. Apart from the codec, so that a client may take
 * their types without type-checking the codec (the k6 scripts, which have no
 * TextDecoder type); like frames.ts, only typebox at runtime.
 */
import Type, { type Static } from 'typebox';

/** The CONNECT packet's `auth` payload. */
export const SocketIoAuth = Type.Object(
  {
    token: Type.String({ minLength: 1 }),
    /** As `?resume=1`: no live room messages until the socket's `resume` event. */
    resume: Type.Optional(Type.Boolean()),
    /** As `?batch=1`: a turn's messages of a room may come as one `messages` event. */
    batch: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SocketIoAuth = Static<typeof SocketIoAuth>;

/** The `closing` event's argument (CLOSING_EVENT): the close code the raw endpoint would send. */
export const ClosingEvent = Type.Object({ code: Type.Integer(), reason: Type.String() }, { additionalProperties: false });
export type ClosingEvent = Static<typeof ClosingEvent>;
