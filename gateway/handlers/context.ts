import type { ClientFrameOf, ClientFrameType } from '../../shared/protocol/frames.js';
import type { MessagePublisher, RoomLog, TypingPublisher } from '../../shared/ports.js';
import type { CatchUps } from '../fanout/catch-up.js';
import type { Topics } from '../topics.js';
import type { RateLimits } from '../rate-limits.js';
import type { Conn, Sender, Socket } from '../connection.js';
import type { GatewayMetrics } from '../metrics.js';
import type { SocketConfig } from '../config.js';

/** What frame handlers may use. */
export interface HandlerDeps {
  sender: Sender;
  publisher: MessagePublisher;
  roomLog: RoomLog;
  /** Resolves once this gateway receives the room's live messages (see RoomSubscriptions.whenLive). */
  roomLive: (room: string) => Promise<void>;
  catchUps: CatchUps;
  /** Joins a socket to a room's live topic (the plain or the batch one, see Topics). */
  topics: Pick<Topics, 'join'>;
  /** The last seq this gateway relayed in the room (RoomRelay.delivered), 0 when it relays none: the publish floor. */
  relayed: (room: string) => number;
  /** For a room the socket does not have: asks Postgres, and gives it the room if the user is a member (see LiveMembership.confirm). */
  confirmRoom: (ws: Socket, room: string) => Promise<boolean>;
  rateLimits: RateLimits;
  metrics: GatewayMetrics;
  typing: TypingPublisher;
  limits: Pick<SocketConfig, 'maxMessageBytes' | 'typingTtlMs'>;
  /** False while draining: new publishes are refused with `shutting_down`. */
  accepting: () => boolean;
  /** Tracks async work so a drain can wait for it. */
  track: <T>(work: Promise<T>) => Promise<T>;
}

/**
 * Handles one frame type. A handler may throw (or reject with) a ParleyError;
 * the dispatcher turns it into an `error` frame carrying the frame's `ref`.
 */
export type FrameHandler<K extends ClientFrameType> = (
  frame: ClientFrameOf<K>,
  ws: Socket,
  conn: Conn,
  deps: HandlerDeps,
) => void | Promise<void>;

export type FrameHandlers = { [K in ClientFrameType]: FrameHandler<K> };
