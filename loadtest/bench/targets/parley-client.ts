/**
 * The lean parley client the generator runs thousands of per thread (not
 * `ParleySocket`, which keeps every frame). Frames are built only through the
 * shared codec. Authentication is the `parley.auth.<token>` subprotocol, and
 * a socket counts as connected once `welcome` arrived (its rooms are live).
 *
 * Receiving: `message` frames take a fast path, `JSON.parse` plus a check of
 * the two fields the generator reads (`room`, `body`), narrowed to the shared
 * `ServerFrameOf<'message'>` type. Full schema validation of every delivery
 * would cost about 1.7× the parse alone (3.1 against 1.8 µs per 380-byte
 * frame on the benchmark machine; see docs/benchmarks.md), CPU the generator
 * takes from the servers it measures. `createParleyClient({ validateDeliveries:
 * true })` turns it on. Every other frame is validated with `decodeServerFrame`.
 */
import WebSocket from 'ws';
import { decodeServerFrame, encodeClientFrame } from '../../../shared/protocol/codec.js';
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL, type ServerFrame, type ServerFrameOf } from '../../../shared/protocol/frames.js';
import type { BenchSocket, ClientHandlers, ClientSpec, TargetClient } from '../target.js';
import { ConnectFailure } from '../connect-failure.js';
import { BENCH_WS_OPTIONS } from '../ws-options.js';

export interface ParleyClientOptions {
  validateDeliveries: boolean;
  /** From starting the upgrade to `welcome`. */
  connectTimeoutMs: number;
}

export function isMessageFrame(value: unknown): value is ServerFrameOf<'message'> {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as { type?: unknown; room?: unknown; body?: unknown };
  return f.type === 'message' && typeof f.room === 'string' && typeof f.body === 'string';
}

/** A `messages` frame (sockets opened with ?batch=1): the same check per message. */
export function isMessagesFrame(value: unknown): value is ServerFrameOf<'messages'> {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as { type?: unknown; messages?: unknown };
  if (f.type !== 'messages' || !Array.isArray(f.messages)) return false;
  return f.messages.every((m: { room?: unknown; body?: unknown } | null) => typeof m?.room === 'string' && typeof m.body === 'string');
}

export function createParleyClient(options: ParleyClientOptions): TargetClient {
  return {
    kind: 'parley',
    connect: (spec, handlers) => connect(spec, handlers, options),
  };
}

export const parleyClient: TargetClient = createParleyClient({ validateDeliveries: false, connectTimeoutMs: 30_000 });

function connect(spec: ClientSpec, handlers: ClientHandlers, options: ParleyClientOptions): Promise<BenchSocket> {
  if (!spec.token) return Promise.reject(new ConnectFailure('no_token', 'parley needs an access token'));
  const ws = new WebSocket(spec.endpoint, [SUBPROTOCOL, `${AUTH_SUBPROTOCOL_PREFIX}${spec.token}`], {
    ...BENCH_WS_OPTIONS,
    handshakeTimeout: options.connectTimeoutMs,
    ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
  });
  const pendingAcks = new Map<string, () => void>();
  let welcomed = false;

  const socket: BenchSocket = {
    publish(room, body, id, onAck) {
      pendingAcks.set(id, onAck);
      ws.send(encodeClientFrame({ type: 'publish', ref: id, room, cmid: id, body }));
    },
    close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    },
  };

  return new Promise<BenchSocket>((resolve, reject) => {
    const fail = (failure: ConnectFailure) => {
      clearTimeout(timer);
      if (!welcomed) reject(failure);
    };
    const timer = setTimeout(() => {
      fail(new ConnectFailure('timeout', `no welcome within ${options.connectTimeoutMs} ms`));
      ws.terminate();
    }, options.connectTimeoutMs);

    const control = (frame: ServerFrame) => {
      switch (frame.type) {
        case 'welcome':
          welcomed = true;
          clearTimeout(timer);
          resolve(socket);
          break;
        case 'ack': {
          const onAck = pendingAcks.get(frame.cmid);
          if (onAck) {
            pendingAcks.delete(frame.cmid);
            onAck();
          }
          break;
        }
        case 'error':
          // A publish refused with an error frame will never be acked.
          if (frame.ref !== undefined) pendingAcks.delete(frame.ref);
          handlers.onError?.(frame.code);
          break;
        default:
          // presence, announcement, event, typing: not part of the measurement.
          break;
      }
    };

    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (!options.validateDeliveries) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          handlers.onError?.('invalid_frame');
          return;
        }
        if (isMessageFrame(value)) {
          handlers.onDeliver(value.room, value.body);
          return;
        }
        if (isMessagesFrame(value)) {
          for (const m of value.messages) handlers.onDeliver(m.room, m.body);
          return;
        }
      }
      const decoded = decodeServerFrame(text);
      if (!decoded.ok) {
        handlers.onError?.('invalid_frame');
        return;
      }
      if (decoded.frame.type === 'message') handlers.onDeliver(decoded.frame.room, decoded.frame.body);
      else if (decoded.frame.type === 'messages') for (const m of decoded.frame.messages) handlers.onDeliver(m.room, m.body);
      else control(decoded.frame);
    });
    ws.once('unexpected-response', (_req, res) => {
      fail(new ConnectFailure(`http_${res.statusCode ?? 0}`, `upgrade refused with HTTP ${res.statusCode ?? 0}`));
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      fail(ConnectFailure.from(err));
    });
    ws.once('close', (code: number) => {
      fail(new ConnectFailure(`closed_${code}`, `closed with ${code} before welcome`));
      if (welcomed) handlers.onClose(code);
    });
  });
}
