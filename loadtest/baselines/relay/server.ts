/**
 * Baseline (a): a bare uWebSockets.js relay over Redis pub/sub, the ceiling
 * of parley's architecture. It keeps parley's fan-out path and nothing else:
 * no auth, no membership checks, no sequencing, no persistence, no acks.
 *
 * Wire format: `ws://host:port/?rooms=a,b` joins rooms a and b; the client
 * sends text frames `{"room":"a","body":"..."}`, which are PUBLISHed verbatim
 * to `<prefix>room:a`; every socket in room a, on any process, receives that
 * frame verbatim (the sender included, as in parley, since delivery always
 * goes through Redis). Once every room of a socket has a live Redis
 * subscription, the socket receives `{"ready":true}`.
 *
 * Fan-out is parley's: one uWS topic per room, and one Redis SUBSCRIBE per
 * room with local sockets, taken on the topic's 0→1 subscriber transition and
 * dropped on 1→0. A single PSUBSCRIBE would be cheaper to set up, but every
 * process would then receive every room's traffic, which parley avoids: it
 * would measure a different architecture, not the ceiling of this one.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../../shared/log.js';
import { App, closeListenSocket, type WebSocket, type us_listen_socket } from '../../../gateway/uws.js';
import type { BaselineConfig } from '../config.js';
import { RELAY_READY_FRAME, parseRooms, readPublish } from '../frames.js';

/** Close code for a socket whose rooms could not be subscribed in Redis. */
const CLOSE_UNAVAILABLE = 1011;
/** Close code for a frame that is not `{"room":string,"body":string}`. */
const CLOSE_BAD_FRAME = 1007;
const CLOSE_GOING_AWAY = 1001;

interface Conn {
  /** Redis channel names, which are also the uWS topic names. */
  channels: string[];
  closed: boolean;
}

export interface RelayDeps {
  /** Connection for PUBLISH. */
  pub: Redis;
  /** Connection in subscriber mode; used for nothing else. */
  sub: Redis;
  logger: Logger;
}

export interface Relay {
  listen(): Promise<void>;
  /** Stops accepting, closes every socket with 1001 and resolves once they are gone (bounded by `timeoutMs`). */
  drain(timeoutMs: number): Promise<void>;
}

export function createRelay(config: Pick<BaselineConfig, 'listen' | 'socket' | 'redis'>, deps: RelayDeps): Relay {
  const { pub, sub, logger } = deps;
  const channelOf = (room: string) => `${config.redis.keyPrefix}room:${room}`;
  /** A room's SUBSCRIBE, pending or done, while the room has local sockets. */
  const live = new Map<string, Promise<unknown>>();
  const sockets = new Set<WebSocket<Conn>>();
  let listenSocket: us_listen_socket | null = null;
  let onEmpty: (() => void) | undefined;
  const onPublished = (err?: Error | null) => {
    if (err) logger.warn({ err: err.message }, 'redis publish failed');
  };

  const app = App();
  // The channel is the topic, so a Redis message goes to uWS untouched.
  sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
    app.publish(channel, payload, false);
  });

  app.ws<Conn>('/', {
    // The limits parley's gateway uses. Compression is left at uWS's default
    // (off), which is also what parley runs with.
    maxPayloadLength: config.socket.maxPayloadBytes,
    idleTimeout: config.socket.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    maxBackpressure: config.socket.maxBackpressureBytes,
    closeOnBackpressureLimit: 1,

    upgrade: (res, req, context) => {
      const channels = parseRooms(req.getQuery('rooms')).map(channelOf);
      res.upgrade<Conn>(
        { channels, closed: false },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },

    // Runs synchronously inside ws.subscribe / ws.unsubscribe and on close.
    subscription: (_ws, topic, newCount, oldCount) => {
      if (oldCount === 0 && newCount > 0) {
        const channel = Buffer.from(topic).toString();
        live.set(channel, sub.subscribe(channel));
      } else if (newCount === 0 && oldCount > 0) {
        const channel = Buffer.from(topic).toString();
        live.delete(channel);
        sub.unsubscribe(channel).catch((err: unknown) => logger.warn({ err, channel }, 'redis unsubscribe failed'));
      }
    },

    open: (ws) => {
      const conn = ws.getUserData();
      sockets.add(ws);
      for (const channel of conn.channels) ws.subscribe(channel);
      Promise.all(conn.channels.map((channel) => live.get(channel))).then(
        () => {
          if (!conn.closed) ws.send(RELAY_READY_FRAME, false);
        },
        (err: unknown) => {
          logger.error({ err }, 'redis subscribe failed');
          if (!conn.closed) ws.end(CLOSE_UNAVAILABLE, 'room subscription failed');
        },
      );
    },

    message: (ws, data, isBinary) => {
      const text = Buffer.from(data).toString();
      let frame: { room: string; body: string } | undefined;
      try {
        frame = isBinary ? undefined : readPublish(JSON.parse(text));
      } catch {
        frame = undefined;
      }
      if (!frame) {
        ws.end(CLOSE_BAD_FRAME, 'expected {"room":string,"body":string}');
        return;
      }
      void pub.publish(channelOf(frame.room), text, onPublished);
    },

    close: (ws) => {
      ws.getUserData().closed = true;
      sockets.delete(ws);
      if (sockets.size === 0) onEmpty?.();
    },
  });

  app.get('/readyz', (res) => {
    res.end('{"status":"ready"}');
  });
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').end();
  });

  return {
    listen: () =>
      new Promise<void>((resolve, reject) => {
        app.listen(config.listen.host, config.listen.port, (socket) => {
          if (!socket) return reject(new Error(`relay could not listen on ${config.listen.host}:${config.listen.port}`));
          listenSocket = socket;
          resolve();
        });
      }),
    async drain(timeoutMs) {
      if (listenSocket) closeListenSocket(listenSocket);
      listenSocket = null;
      const empty = new Promise<void>((resolve) => {
        onEmpty = resolve;
        if (sockets.size === 0) resolve();
      });
      // ws.end runs the close handler at once, which edits the set: iterate a copy.
      for (const ws of [...sockets]) ws.end(CLOSE_GOING_AWAY, 'shutting down');
      await Promise.race([empty, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
      logger.info({ open: sockets.size }, 'relay drained');
    },
  };
}
