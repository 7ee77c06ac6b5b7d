/**
 * Baseline (b): Socket.IO 4 with @socket.io/redis-adapter, what a Node user
 * would pick instead of parley. Stock setup, no auth, no persistence.
 *
 * Protocol: connect to `/socket.io/?EIO=4&transport=websocket&rooms=a,b` to
 * join rooms a and b; emit `publish` with `{room, body}` and an ack callback;
 * every socket in the room, on any process, gets a `message` event with
 * `{room, body}` (the sender included: `io.to(room)` does not exclude it),
 * and the sender's ack follows once the adapter has handed the message to
 * Redis.
 *
 * Tuning: WebSocket transport only (the generator never long-polls),
 * compression off and the frame limit at parley's, as for the other targets.
 * Heartbeats stay at Socket.IO's defaults (a ping every 25 s) unless
 * configured, since that is what its users run.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Logger } from '../../../shared/log.js';
import type { SocketIoConfig } from './config.js';
import { parseRooms, readPublish } from '../frames.js';

export interface SocketIoDeps {
  /** Connection the adapter PUBLISHes on. */
  pub: Redis;
  /** Connection the adapter puts in subscriber mode. */
  sub: Redis;
  logger: Logger;
}

export interface SocketIoBaseline {
  /** Resolves once the adapter's Redis subscriptions are live and the port is bound. */
  listen(): Promise<void>;
  /** Disconnects every socket, detaches the adapter from Redis and closes the port. */
  close(): Promise<void>;
}

export function createSocketIoBaseline(config: Pick<SocketIoConfig, 'listen' | 'socket' | 'redis' | 'heartbeat'>, deps: SocketIoDeps): SocketIoBaseline {
  const http: HttpServer = createServer((req, res) => {
    // Socket.IO answers its own path before this handler runs.
    if (req.url === '/readyz') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    else res.writeHead(404).end();
  });
  const io = new Server(http, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    httpCompression: false,
    maxHttpBufferSize: config.socket.maxPayloadBytes,
    pingInterval: config.heartbeat.pingIntervalMs,
    pingTimeout: config.heartbeat.pingTimeoutMs,
    adapter: createAdapter(deps.pub, deps.sub, { key: config.redis.keyPrefix }),
  });

  io.on('connection', (socket) => {
    // Synchronous with the in-memory room index, and the adapter's Redis
    // subscription is one pattern for all rooms taken at startup, so the
    // socket receives everything once its CONNECT reply is out.
    socket.join(parseRooms(socket.handshake.query.rooms));
    socket.on('publish', (payload: unknown, ack: unknown) => {
      const message = readPublish(payload);
      if (!message) {
        socket.disconnect(true);
        return;
      }
      io.to(message.room).emit('message', message);
      if (typeof ack === 'function') ack();
    });
  });

  return {
    async listen() {
      // The adapter PSUBSCRIBEs and SUBSCRIBEs in its constructor without
      // waiting; a PING on the same connection is answered after both.
      await deps.sub.ping();
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.listen.port, config.listen.host, () => resolve());
      });
    },
    async close() {
      const sockets = io.engine.clientsCount;
      await io.close();
      deps.logger.info({ closed: sockets }, 'socket.io closed');
    },
  };
}
