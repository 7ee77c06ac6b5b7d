/**
 * A small typed parley client over the `ws` package, for tests, load
 * generators and scripts. Frames go through the shared codec only.
 *
 * Every frame received is kept in `frames` (in arrival order), so a test can
 * wait for a frame that already arrived without racing the socket.
 */
import WebSocket from 'ws';
import { decodeServerFrame, encodeClientFrame } from '../protocol/codec.js';
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL, type ClientFrame } from '../protocol/frames.js';
import { FrameLog } from './frame-log.js';

export interface ConnectOptions {
  /** Where the token goes: the subprotocol header (default) or the query string. */
  tokenIn?: 'protocol' | 'query';
  timeoutMs?: number;
}

export class UpgradeRejected extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade rejected with HTTP ${status}: ${body}`);
  }
}

export class ParleySocket extends FrameLog {
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const decoded = decodeServerFrame(isBinary ? data : data.toString('utf8'));
      if (!decoded.ok) throw new Error(`server sent an invalid frame: ${decoded.error.message}: ${data.toString('utf8').slice(0, 200)}`);
      this.received(decoded.frame);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
        this.notify();
      }),
    );
  }

  protected isClosed(): boolean {
    return this.ws.readyState === WebSocket.CLOSED;
  }

  /** Connects and resolves once the socket is open; rejects with UpgradeRejected on a non-101 answer. */
  static connect(url: string, token: string | null, options: ConnectOptions = {}): Promise<ParleySocket> {
    const viaQuery = options.tokenIn === 'query';
    const target = token && viaQuery ? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : url;
    const protocols = token && !viaQuery ? [SUBPROTOCOL, `${AUTH_SUBPROTOCOL_PREFIX}${token}`] : [SUBPROTOCOL];
    const ws = new WebSocket(target, protocols, { handshakeTimeout: options.timeoutMs ?? 10_000 });
    const socket = new ParleySocket(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(new UpgradeRejected(res.statusCode ?? 0, body)));
      });
      ws.once('error', reject);
    });
  }

  send(frame: ClientFrame): void {
    this.ws.send(encodeClientFrame(frame));
  }

  /** Sends raw text: only for tests of malformed input. */
  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    this.ws.close(code);
    return this.closed;
  }
}
