/**
 * The WebSocket endpoint: authentication at the upgrade, one uWS topic per
 * room, one Redis subscription per room with local sockets, and drain.
 *
 * Room fan-out: a new socket first acquires its rooms' Redis subscriptions
 * (RoomSubscriptions: the first local holder SUBSCRIBEs, the last one
 * UNSUBSCRIBEs); once they are live it joins the rooms' uWS topics and gets
 * `welcome`. A message from Redis is encoded once and handed to uWS's
 * `app.publish`, which writes it to every local socket on that topic.
 */
import { ParleyError, type ErrorCode } from '../shared/errors.js';
import { PROBLEM_CONTENT_TYPE, problem } from '../shared/http/problem.js';
import type { Logger } from '../shared/log.js';
import type { AccessVerifier } from '../shared/auth/verify.js';
import type { ControlBus, RoomSubscriber, TypingPublisher } from '../shared/ports.js';
import { PROTOCOL_VERSION, WS_PATH, type Announcement, type ChatMessage, type ServerFrame } from '../shared/protocol/frames.js';
import { decodeClientFrame, encodeServerFrame } from '../shared/protocol/codec.js';
import { CloseCode } from '../shared/errors.js';
import { App, SendStatus, closeListenSocket, type HttpResponse, type TemplatedApp, type us_listen_socket } from './uws.js';
import type { SocketConfig } from './config.js';
import type { GatewayMetrics } from './metrics.js';
import { Sender, type Conn } from './connection.js';
import { SessionIndex } from './sessions.js';
import type { RoomsOf } from './membership.js';
import { readUpgradeAuth } from './token.js';
import { RoomSubscriptions } from './room-subscriptions.js';
import { LiveMembership } from './live-membership.js';
import { CatchUps } from './catch-up.js';
import { RateLimits } from './rate-limits.js';
import type { GatewayPresence } from './presence.js';
import type { RoomsOfUsers } from './membership.js';
import { createDispatcher } from './handlers/index.js';
import type { HandlerDeps } from './handlers/context.js';

export { WS_PATH };
/** The uWS topic every socket joins for announcements (room topics are UUIDs, so no clash). */
const ANNOUNCEMENTS_TOPIC = 'announcements';

export interface GatewayDeps {
  config: SocketConfig;
  logger: Logger;
  metrics: GatewayMetrics;
  verify: AccessVerifier;
  isRevoked: (sessionId: string) => Promise<boolean>;
  roomsOf: RoomsOf;
  roomsOfUsers: RoomsOfUsers;
  bus: RoomSubscriber & ControlBus & TypingPublisher;
  publisher: HandlerDeps['publisher'];
  roomLog: HandlerDeps['roomLog'];
  presence: GatewayPresence;
  /** The latest announcements, oldest first, sent to each socket after `welcome`. */
  latestAnnouncements: () => Promise<Announcement[]>;
}

export interface Gateway {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  /** Stops accepting, lets in-flight publishes finish (bounded), then closes every socket with 1012. */
  drain(): Promise<void>;
  readonly connections: number;
  /** The user id of every open socket (one entry per socket). */
  socketUserIds(): string[];
}

const STATUS_LINE: Record<number, string> = {
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

export function createGateway(deps: GatewayDeps): Gateway {
  const { config, logger, metrics } = deps;
  const sender = new Sender(metrics);
  const sessions = new SessionIndex();
  const inflight = new Set<Promise<unknown>>();
  let draining = false;
  let listenSocket: us_listen_socket | null = null;

  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    void work.then(
      () => inflight.delete(work),
      () => inflight.delete(work),
    );
    return work;
  };

  const catchUps = new CatchUps();
  const rateLimits = new RateLimits(config, sender);
  const subscriptions = new RoomSubscriptions(deps.bus, logger, metrics);
  const dispatch = createDispatcher(
    {
      sender,
      publisher: deps.publisher,
      roomLog: deps.roomLog,
      roomLive: (room) => subscriptions.whenLive(room),
      catchUps,
      confirmRoom: (ws, room) => membership.confirm(ws, room),
      rateLimits,
      typing: deps.bus,
      metrics,
      limits: config,
      accepting: () => !draining,
      track,
    },
    logger,
  );

  const closeSession = (sessionId: string, reason: string) => {
    for (const ws of sessions.socketsOf(sessionId)) {
      sender.error(ws, 'session_revoked');
      sender.close(ws, CloseCode.policy, reason === 'logout' ? 'session logged out' : 'session revoked');
    }
  };

  const app: TemplatedApp = App();
  /** Writes a frame to every local socket on a topic: encoded once, whatever the number of sockets. */
  const broadcast = (topic: string, frame: ServerFrame) => {
    const recipients = app.numSubscribers(topic);
    if (recipients === 0) return;
    app.publish(topic, encodeServerFrame(frame), false);
    metrics.framesOut.inc({ type: frame.type }, recipients);
  };
  const membership = new LiveMembership({
    subscriptions,
    sessions,
    sender,
    publishToRoom: broadcast,
    roomsOfUsers: deps.roomsOfUsers,
    catchUps,
    logger,
  });

  deps.bus.onTyping((signal) => broadcast(signal.room, { type: 'typing', ...signal }));

  deps.bus.onEvent((event) => {
    if (event.type === 'session_revoked') closeSession(event.sessionId, event.reason);
    else if (event.type === 'presence_changed') {
      const lastSeen = event.lastSeen === null ? null : new Date(event.lastSeen).toISOString();
      for (const room of event.rooms) {
        broadcast(room, { type: 'presence', room, user: event.user, online: event.online, status: event.status, lastSeen });
      }
    } else if (event.type === 'announcement') {
      const { type: _type, ...announcement } = event;
      broadcast(ANNOUNCEMENTS_TOPIC, { type: 'announcement', ...announcement });
    } else membership.apply(event);
  });
  // Control events published while we were disconnected from Redis were lost:
  // re-check every live session's revocation and reload every local user's rooms.
  deps.bus.onResync(() => {
    for (const sessionId of sessions.sessionIds()) {
      deps.isRevoked(sessionId).then(
        (revoked) => revoked && closeSession(sessionId, 'revoked'),
        (err: unknown) => logger.warn({ err }, 'revocation re-check failed'),
      );
    }
    membership.resync().catch((err: unknown) => logger.error({ err }, 'membership resync failed'));
  });
  deps.bus.onMessage((message: ChatMessage) => {
    metrics.relayed.inc();
    catchUps.relay(message);
    broadcast(message.room, { type: 'message', ...message });
  });

  const rejectUpgrade = (res: HttpResponse, code: ErrorCode, detail?: string) => {
    const body = problem(code, detail);
    metrics.upgrades.inc({ outcome: code });
    res.writeStatus(STATUS_LINE[body.status] ?? `${body.status} Error`).writeHeader('content-type', PROBLEM_CONTENT_TYPE);
    if (body.retryable) res.writeHeader('retry-after', '1');
    res.end(JSON.stringify(body));
  };

  app.ws<Conn>(WS_PATH, {
    maxPayloadLength: config.maxPayloadBytes,
    idleTimeout: config.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    maxBackpressure: config.maxBackpressureBytes,
    // A slow reader over maxBackpressure is closed rather than silently skipped
    // (it would miss messages). This build types the flag as a number; 1 = on.
    closeOnBackpressureLimit: 1,

    upgrade: (res, req, context) => {
      // uWS invalidates `req` at the first await: read everything now.
      const key = req.getHeader('sec-websocket-key');
      const protocolHeader = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const query = req.getQuery() ?? '';
      const auth = readUpgradeAuth(protocolHeader, query);
      // `?resume=1`: hold live room delivery until the client's `resume` frame.
      const hold = new URLSearchParams(query).get('resume') === '1';
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });

      if (draining) return rejectUpgrade(res, 'shutting_down');
      if (sessions.size >= config.maxConnections) return rejectUpgrade(res, 'too_many_connections');
      if (auth.protocolError) return rejectUpgrade(res, 'bad_request', auth.protocolError);
      if (!auth.token) return rejectUpgrade(res, 'unauthorized', 'No access token: use ?token= or the parley.auth.<token> subprotocol');

      void (async () => {
        try {
          const principal = await deps.verify(auth.token!);
          const roomsReadAt = Date.now();
          const rooms = await deps.roomsOf(principal.userId);
          if (aborted) return;
          metrics.upgrades.inc({ outcome: 'accepted' });
          // Deliberately NOT inside res.cork(): after an asynchronous upgrade,
          // cork()'s epilogue can read the old HTTP state from memory the new
          // WebSocket now occupies and shut the socket down right after `open`
          // (uNetworking/uWebSockets.js#1108; fixed upstream in uWebSockets#1929,
          // not in the build we can load). upgrade() writes the 101 itself.
          res.upgrade<Conn>({ principal, rooms: new Set(rooms), subscribed: new Set(), roomsReadAt, closed: false, hold, catchingUp: new Map(), limits: rateLimits.forConnection() }, key, auth.protocol, extensions, context);
        } catch (err) {
          if (aborted) return;
          const code: ErrorCode = err instanceof ParleyError ? err.code : 'unavailable';
          if (!(err instanceof ParleyError)) logger.error({ err }, 'upgrade failed');
          res.cork(() => rejectUpgrade(res, code));
        }
      })();
    },

    open: (ws) => {
      const conn = ws.getUserData();
      if (draining) {
        sender.close(ws, CloseCode.restarting, 'restarting');
        return;
      }
      sessions.add(ws);
      rateLimits.attach(conn.principal.userId);
      deps.presence.opened(conn.principal.userId);
      metrics.connections.set(sessions.size);
      // `welcome` promises live delivery from here on, so it waits until every
      // room's Redis subscription is live. No ws.cork() anywhere in open: it
      // has the same epilogue problem as res.cork() (see upgrade).
      membership.attach(ws).then(
        () => {
          if (conn.closed) return;
          sender.send(ws, {
            type: 'welcome',
            v: PROTOCOL_VERSION,
            user: { id: conn.principal.userId, username: conn.principal.username },
            rooms: [...conn.subscribed],
            limits: {
              maxFrameBytes: config.maxFrameBytes,
              maxMessageBytes: config.maxMessageBytes,
              idleTimeoutSeconds: config.idleTimeoutSeconds,
            },
          });
          // Live announcements from now on, and the latest ones so far (a live one may
          // arrive twice, once each way: clients keep announcements by id).
          ws.subscribe(ANNOUNCEMENTS_TOPIC);
          deps.latestAnnouncements().then(
            (list) => {
              for (const a of list) sender.send(ws, { type: 'announcement', ...a });
            },
            (err: unknown) => logger.warn({ err }, 'could not read the latest announcements'),
          );
        },
        () => {
          sender.error(ws, 'unavailable', { message: 'Could not subscribe to your rooms; reconnect' });
          sender.close(ws, CloseCode.tryAgainLater, 'room subscription failed');
        },
      );
      // Closes the race where the session was revoked after the upgrade's
      // check but before this socket was indexed (the event found nothing to close).
      deps.isRevoked(conn.principal.sessionId).then(
        (revoked) => revoked && closeSession(conn.principal.sessionId, 'revoked'),
        () => undefined,
      );
    },

    message: (ws, data, isBinary) => {
      const conn = ws.getUserData();
      if (data.byteLength > config.maxFrameBytes) {
        metrics.framesIn.inc({ type: 'invalid' });
        sender.error(ws, 'frame_too_large', {
          message: `frame is ${data.byteLength} bytes; the limit is ${config.maxFrameBytes}`,
        });
        return;
      }
      if (isBinary) {
        metrics.framesIn.inc({ type: 'invalid' });
        sender.error(ws, 'bad_frame', { message: 'binary frames are not supported; send JSON text frames' });
        return;
      }
      const decoded = decodeClientFrame(data);
      if (!decoded.ok) {
        metrics.framesIn.inc({ type: 'invalid' });
        sender.error(ws, decoded.error.code, { message: decoded.error.message, ref: decoded.error.ref });
        return;
      }
      metrics.framesIn.inc({ type: decoded.frame.type });
      dispatch(decoded.frame, ws, conn);
    },

    drain: (ws) => {
      logger.debug({ buffered: ws.getBufferedAmount() }, 'socket drained');
    },

    close: (ws, code) => {
      const conn = ws.getUserData();
      conn.closed = true;
      membership.detach(ws);
      sessions.remove(ws);
      rateLimits.detach(conn.principal.userId);
      deps.presence.closed(conn.principal.userId);
      metrics.connections.set(sessions.size);
      metrics.closes.inc({ code: String(code) });
    },
  });

  app.any('/*', (res) => {
    const body = problem('not_found', `The WebSocket endpoint is ${WS_PATH}`);
    res.writeStatus(STATUS_LINE[404]!).writeHeader('content-type', PROBLEM_CONTENT_TYPE).end(JSON.stringify(body));
  });

  return {
    get connections() {
      return sessions.size;
    },
    socketUserIds: () => sessions.all().map((ws) => ws.getUserData().principal.userId),
    listen: () =>
      new Promise<number>((resolve, reject) => {
        // Port 0 for options: SO_REUSEPORT stays on, so several processes share the port.
        app.listen(config.host, config.port, (socket) => {
          if (!socket) return reject(new Error(`gateway could not listen on ${config.host}:${config.port}`));
          listenSocket = socket;
          resolve(config.port);
        });
      }),
    async drain() {
      draining = true;
      if (listenSocket) closeListenSocket(listenSocket);
      listenSocket = null;
      const deadline = new Promise((r) => setTimeout(r, config.drainTimeoutMs).unref());
      await Promise.race([Promise.allSettled([...inflight]), deadline]);
      for (const ws of sessions.all()) sender.close(ws, CloseCode.restarting, 'restarting');
      logger.info({ closed: sessions.size }, 'gateway drained');
    },
  };
}

export { SendStatus };
