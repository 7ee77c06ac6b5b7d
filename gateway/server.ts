/**
 * The uWS app: the WebSocket endpoint's behaviours handed to their modules
 * (upgrade.ts, sockets.ts, the frame dispatcher), the Socket.IO transport's
 * path (socketio/attach.ts), the 404 for every other path, listening and
 * closing the listener. Wiring only.
 */
import type { Logger } from '../shared/log.js';
import { WS_PATH } from '../shared/protocol/frames.js';
import { decodeClientFrame } from '../shared/protocol/codec.js';
import { App, closeListenSocket, type us_listen_socket } from './uws.js';
import type { SocketConfig } from './config.js';
import type { GatewayMetrics } from './metrics.js';
import type { Conn, Sender, Socket } from './connection.js';
import type { Sockets } from './sockets.js';
import type { Topics } from './topics.js';
import type { Drain } from './drain.js';
import type { ClientFrame } from '../shared/protocol/frames.js';
import { reject, type createUpgrade } from './upgrade.js';
import type { SocketIoTransport } from './socketio/attach.js';

export interface ServerDeps {
  config: SocketConfig;
  logger: Logger;
  metrics: GatewayMetrics;
  sender: Sender;
  topics: Topics;
  drain: Drain;
  upgrade: ReturnType<typeof createUpgrade>;
  sockets: Sockets;
  dispatch: (frame: ClientFrame, ws: Socket, conn: Conn) => void;
  /** Served on the same app when enabled. */
  socketIo: SocketIoTransport | null;
}

export interface GatewayServer {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  /** Stops accepting connections (open sockets stay). */
  stopListening(): void;
}

export function createServer(deps: ServerDeps): GatewayServer {
  const { config, metrics, sender } = deps;
  const app = App();
  deps.topics.attach(app);
  deps.socketIo?.attach(app);
  let listenSocket: us_listen_socket | null = null;

  app.ws<Conn>(WS_PATH, {
    maxPayloadLength: config.maxPayloadBytes,
    idleTimeout: config.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    maxBackpressure: config.maxBackpressureBytes,
    // A slow reader over maxBackpressure is closed rather than silently skipped
    // (it would miss messages). This build types the flag as a number; 1 = on.
    closeOnBackpressureLimit: 1,
    upgrade: deps.upgrade,
    open: (ws) => {
      if (deps.drain.draining) return sender.close(ws, 'shutting_down', 'restarting');
      deps.sockets.opened(ws);
    },
    message: (ws, data, isBinary) => {
      if (data.byteLength > config.maxFrameBytes) {
        metrics.framesIn.inc({ type: 'invalid', transport: 'websocket' });
        sender.error(ws, 'frame_too_large', { message: `frame is ${data.byteLength} bytes; the limit is ${config.maxFrameBytes}` });
        return;
      }
      if (isBinary) {
        metrics.framesIn.inc({ type: 'invalid', transport: 'websocket' });
        sender.error(ws, 'bad_frame', { message: 'binary frames are not supported; send JSON text frames' });
        return;
      }
      const decoded = decodeClientFrame(data);
      if (!decoded.ok) {
        metrics.framesIn.inc({ type: 'invalid', transport: 'websocket' });
        sender.error(ws, decoded.error.code, { message: decoded.error.message, ref: decoded.error.ref });
        return;
      }
      metrics.framesIn.inc({ type: decoded.frame.type, transport: 'websocket' });
      deps.dispatch(decoded.frame, ws, ws.getUserData());
    },
    drain: (ws) => deps.logger.debug({ buffered: ws.getBufferedAmount() }, 'socket drained'),
    close: (ws, code) => deps.sockets.closed(ws, code),
  });

  app.any('/*', (res) => reject(res, 'not_found', `The WebSocket endpoint is ${WS_PATH}`));

  return {
    listen: () =>
      new Promise<number>((resolve, reject) => {
        // Port 0 for options: SO_REUSEPORT stays on, so several processes share the port.
        app.listen(config.host, config.port, (socket) => {
          if (!socket) return reject(new Error(`gateway could not listen on ${config.host}:${config.port}`));
          listenSocket = socket;
          resolve(config.port);
        });
      }),
    stopListening() {
      if (listenSocket) closeListenSocket(listenSocket);
      listenSocket = null;
    },
  };
}
