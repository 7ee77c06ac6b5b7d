/**
 * A small typed parley client over the `ws` package, for tests, load
 * generators and scripts. Frames go through the shared codec only.
 *
 * Every frame received is kept in `frames` (in arrival order), so a test can
 * wait for a frame that already arrived without racing the socket.
 */
import WebSocket from 'ws';
import { decodeServerFrame, encodeClientFrame } from '../protocol/codec.js';
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL, type ClientFrame, type ServerFrame, type ServerFrameOf, type ServerFrameType } from '../protocol/frames.js';

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

export class ParleySocket {
  /** Every frame received, `messages` frames unpacked into their `message` frames. */
  readonly frames: ServerFrame[] = [];
  /** How many `messages` frames arrived (each unpacked into `frames`). */
  batches = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];
  private listeners: ((frame: ServerFrame) => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const decoded = decodeServerFrame(isBinary ? data : data.toString('utf8'));
      if (!decoded.ok) throw new Error(`server sent an invalid frame: ${decoded.error.message}: ${data.toString('utf8').slice(0, 200)}`);
      // A `messages` frame (sockets opened with ?batch=1) is its `message`
      // frames one by one: callers see the same frames either way.
      const received: ServerFrame[] =
        decoded.frame.type === 'messages' ? decoded.frame.messages.map((m) => ({ type: 'message', ...m })) : [decoded.frame];
      if (decoded.frame.type === 'messages') this.batches++;
      for (const frame of received) {
        this.frames.push(frame);
        for (const listener of this.listeners) listener(frame);
      }
      this.notify();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
        this.notify();
      }),
    );
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

  /** Calls `listener` with every frame received from now on, in order. */
  onFrame(listener: (frame: ServerFrame) => void): void {
    this.listeners.push(listener);
  }

  send(frame: ClientFrame): void {
    this.ws.send(encodeClientFrame(frame));
  }

  /** Sends raw text: only for tests of malformed input. */
  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /**
   * Resolves with the first received frame of `type` matching `match` that
   * was not already taken by an earlier `next`; fails after `timeoutMs`.
   */
  next<K extends ServerFrameType>(
    type: K,
    match: (f: ServerFrameOf<K>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ServerFrameOf<K>> {
    return this.waitFor((f): f is ServerFrameOf<K> => f.type === type && match(f as ServerFrameOf<K>), `"${type}" frame`, timeoutMs);
  }

  private async waitFor<F extends ServerFrame>(match: (f: ServerFrame) => f is F, what: string, timeoutMs: number): Promise<F> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.find((f): f is F => !this.taken.has(f) && match(f));
      if (frame) {
        this.taken.add(frame);
        return frame;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(`no ${what} within ${timeoutMs} ms; received: ${JSON.stringify(this.frames).slice(0, 1000)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The server's reply to the frame sent with `ref`, whatever its type (`ack`, `pong` or `error`). */
  async reply(ref: string, timeoutMs = 10_000): Promise<Extract<ServerFrame, { ref?: string }>> {
    return this.waitFor((f): f is Extract<ServerFrame, { ref?: string }> => 'ref' in f && f.ref === ref, `reply to ${ref}`, timeoutMs);
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    this.ws.close(code);
    return this.closed;
  }

  private readonly taken = new WeakSet<ServerFrame>();

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
