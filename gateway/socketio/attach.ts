/**
 * The Socket.IO transport: a Socket.IO server attached to the gateway's uWS
 * app (`io.attachApp`), serving Engine.IO v4 over WebSocket and long-polling
 * on GATEWAY_SOCKETIO_PATH. The frames, their handlers, the limits and the
 * guarantees are the raw endpoint's; this module only maps them onto
 * Socket.IO (shared/protocol/socketio.ts):
 * - connect (connect.ts): the `auth` payload's token is admitted exactly as
 *   at the raw upgrade (admission.ts); a refusal is a `connect_error`
 *   carrying the catalogue code and the same problem+json body;
 * - events in (events.ts): validated as the frame they name and dispatched
 *   to the same frame handlers; the event's ack callback, for frames with
 *   one reply, receives that reply (SioSocket.expectReply);
 * - frames out: SioSocket and Topics emit them as events. Socket.IO's uWS
 *   support writes a room's emits to its WebSocket clients with uWS's own
 *   publish, and to its long-polling ones through Engine.IO.
 *
 * The split with @socket.io/redis-adapter: the adapter (sharded, static
 * channels, keys.socketIoChannel) gives Socket.IO its cross-gateway features
 * (`fetchSockets`, `serverSideEmit`, emits to a user's or session's room from
 * any process attached to it); room messages never go through it. They are
 * published and fanned out by parley's own path, so order, persistence,
 * resume and gap repair stay one mechanism for both transports.
 *
 * Limits: GATEWAY_MAX_FRAME_BYTES per event (its Socket.IO packet, in UTF-8
 * bytes), above that `frame_too_large`; GATEWAY_MAX_PAYLOAD_BYTES is Engine.IO's
 * maxHttpBufferSize (the connection is dropped). A socket holding more than
 * GATEWAY_MAX_BACKPRESSURE_BYTES unsent is dropped at the next check, as the
 * raw endpoint drops a slow reader: uWS itself would skip sends silently past
 * its limit (Engine.IO ignores send's result), so its limit is set out of reach.
 */
import { Server, type ServerOptions, type Socket as IoSocket } from 'socket.io';
import type { Logger } from '../../shared/log.js';
import type { ClientFrame } from '../../shared/protocol/frames.js';
import { SOCKETIO_ROOMS } from '../../shared/protocol/socketio.js';
import type { Admission } from '../admission.js';
import type { SocketConfig, SocketIoConfig } from '../config.js';
import type { Conn, Sender, Socket } from '../connection.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Sockets } from '../sockets.js';
import type { Topics } from '../topics.js';
import type { TemplatedApp } from '../uws.js';
import { SioSocket } from './socket.js';
import { createConnect } from './connect.js';
import { PacketSizes, createEventReceiver } from './events.js';

/** Engine.IO's refusal codes (engine.io Server.errors), for the request-errors metric. */
const ENGINE_ERRORS: Record<number, string> = {
  0: 'unknown_transport',
  1: 'unknown_sid',
  2: 'bad_handshake_method',
  3: 'bad_request',
  4: 'forbidden',
  5: 'unsupported_protocol_version',
};
/** uWS's own send limit for Engine.IO's WebSockets: never reached, so no send is skipped (see the module comment). */
const UWS_BACKPRESSURE_OUT_OF_REACH = 2 ** 31 - 1;
/**
 * At shutdown, how long closed sockets may take to receive their last
 * packets. A WebSocket takes them at once; a long-polling client takes the
 * first (`closing`) with the poll it has waiting, and the rest only with a
 * next poll, which can arrive only on a kept-alive connection once the
 * listener is closed. So the wait is short, and a client that never polls
 * again is let go when it ends.
 */
const FLUSH_BEFORE_CLOSE_MS = 1000;

export interface SocketIoDeps {
  config: SocketIoConfig;
  limits: Pick<SocketConfig, 'maxFrameBytes' | 'maxPayloadBytes' | 'maxBackpressureBytes' | 'maxConnections'>;
  admission: Admission;
  sockets: Sockets;
  sender: Sender;
  topics: Topics;
  metrics: GatewayMetrics;
  logger: Logger;
  dispatch: (frame: ClientFrame, ws: Socket, conn: Conn) => void;
  draining: () => boolean;
  /** The Socket.IO adapter (the Redis one in production); Socket.IO's in-memory one when absent. */
  adapter?: ServerOptions['adapter'];
}

export interface SocketIoTransport {
  /** Serves the path on the app. */
  attach(app: TemplatedApp): void;
  /** Stops the backpressure checks and closes the server and its adapter (after the sockets were closed). */
  close(): Promise<void>;
}

export function createSocketIo(deps: SocketIoDeps): SocketIoTransport {
  const { config, limits, admission, sender, metrics } = deps;
  const io = new Server({
    path: config.path,
    transports: config.transports,
    serveClient: false,
    perMessageDeflate: false,
    httpCompression: false,
    maxHttpBufferSize: limits.maxPayloadBytes,
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    // The CONNECT must follow the Engine.IO handshake within this long.
    connectTimeout: config.connectTimeoutMs,
    // Engine.IO sessions, admitted or not yet, are capped at the connection
    // limit too, so handshakes without a CONNECT cannot pile up. Below it,
    // refusals wait for the CONNECT, where they carry the catalogue's code.
    allowRequest: (_req, callback) => {
      const full = io.engine.clientsCount >= limits.maxConnections;
      callback(full ? 'too_many_connections' : null, !full);
    },
    ...(config.corsOrigins.length > 0 ? { cors: { origin: config.corsOrigins, credentials: true } } : {}),
    ...(deps.adapter ? { adapter: deps.adapter } : {}),
  });
  const main = io.of('/');
  deps.topics.attachSocketIo({
    count: (topic) => main.adapter.rooms.get(topic)?.size ?? 0,
    emit: (topic, frame) => io.local.to(topic).emit(frame.type, frame),
  });
  const open = new Set<SioSocket>();

  const connect = createConnect(admission, deps.logger);
  io.use(connect.middleware);
  const receive = createEventReceiver(deps);

  io.on('connection', (socket: IoSocket) => {
    const conn = connect.connOf(socket);
    const sock = new SioSocket(socket, conn);
    open.add(sock);
    const sizes = new PacketSizes();
    socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
      if (packet.type === 'message') sizes.packet(packet.data);
    });
    socket.on('disconnect', (reason: string) => {
      open.delete(sock);
      // Socket.IO leaves the uWS topics of a namespace-level disconnect
      // subscribed (its uWS patch handles `del`, not `delAll`): the
      // Engine.IO connection, which parley never shares between
      // namespaces, ends with the socket.
      if (socket.conn.readyState === 'open') socket.conn.close();
      // The server's own ends carry their code (SioSocket.end); a client's is a normal close; a drop is 1006, as on the raw endpoint.
      deps.sockets.closed(sock, sock.endedWith ?? (reason === 'client namespace disconnect' ? 1000 : 1006));
    });
    socket.onAny((event: unknown, ...args: unknown[]) => receive(sock, conn, event, args, sizes.take()));
    void socket.join([SOCKETIO_ROOMS.user(conn.principal.userId), SOCKETIO_ROOMS.session(conn.principal.sessionId)]);
    if (deps.draining()) return sender.close(sock, 'shutting_down', 'restarting');
    deps.sockets.opened(sock);
  });

  // Slow readers: see the module comment.
  const backpressure = setInterval(() => {
    for (const sock of open) {
      if (sock.buffered() <= limits.maxBackpressureBytes) continue;
      deps.logger.info({ user: sock.getUserData().principal.userId }, 'socket.io reader too slow; dropped');
      sock.getUserData().closed = true;
      // Discarding what is queued: a slow reader would never drain it.
      sock.io.conn.close(true);
    }
  }, config.backpressureCheckMs);
  backpressure.unref();

  return {
    attach(app) {
      io.attachApp(app, { maxBackpressure: UWS_BACKPRESSURE_OUT_OF_REACH } as Parameters<typeof io.attachApp>[1]);
      // Engine.IO's own refusals (an unknown sid after a close or a failed
      // sticky route, a bad handshake, a transport not offered, a handshake
      // refused while draining or full) are answered by it; counted apart
      // from the connects, which they would swamp after every deploy.
      io.engine.on('connection_error', (err: { code: number; message: string }) => {
        metrics.socketIoRequestErrors.inc({ reason: ENGINE_ERRORS[err.code] ?? 'other' });
        deps.logger.debug({ code: err.code, message: err.message }, 'socket.io request refused');
      });
    },
    async close() {
      clearInterval(backpressure);
      // Sockets just ended (a drain's 1012) still flush their `closing` event
      // and DISCONNECT (a long-polling client takes them with its next poll);
      // io.close() would discard them, so it waits for Engine.IO to let go, briefly.
      const started = Date.now();
      const clients = io.engine?.clientsCount ?? 0;
      while (io.engine && io.engine.clientsCount > 0 && Date.now() - started < FLUSH_BEFORE_CLOSE_MS) await new Promise((r) => setTimeout(r, 20));
      deps.logger.info({ clients, left: io.engine?.clientsCount ?? 0, waitedMs: Date.now() - started }, 'socket.io closing');
      await io.close();
    },
  };
}
