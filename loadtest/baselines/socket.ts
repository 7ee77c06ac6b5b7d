/**
 * What both baseline clients share: one `ws` socket per simulated user that
 * resolves `connect` once the server says the socket is live (each protocol
 * says so its own way), rejects it if the socket fails or closes first, and
 * reports a close only for a socket that was handed out. Per socket it holds
 * the socket, the handlers and three listeners, nothing more, since one
 * generator thread runs thousands of these.
 */
import WebSocket from 'ws';
import type { BenchSocket, ClientHandlers, ClientSpec } from '../bench/target.js';
import { BENCH_WS_OPTIONS } from '../bench/ws-options.js';

export interface Pending {
  resolve(socket: BenchSocket): void;
  reject(err: Error): void;
}

export abstract class BaselineSocket implements BenchSocket {
  /** Set until the server says the socket is live (or the socket fails first). */
  private pending: Pending | undefined;
  /** Only a socket that was handed out reports its close. */
  private ready = false;

  constructor(
    protected readonly ws: WebSocket,
    protected readonly handlers: ClientHandlers,
    pending: Pending,
    /** Names the target in connect failures. */
    private readonly target: string,
  ) {
    this.pending = pending;
    ws.on('message', (data: Buffer) => this.received(data));
    ws.on('close', (code: number) => this.closed(code));
    // An error is always followed by 'close'; before that, it is the reason connect fails.
    ws.on('error', (err: Error) => this.fail(err));
  }

  abstract publish(room: string, body: string, id: string, onAck: () => void): void;

  close(): void {
    this.ws.close(1000);
  }

  protected abstract received(data: Buffer): void;

  /** Hands the socket out: connect resolves. Only the first call counts. */
  protected live(): void {
    if (!this.pending) return;
    this.ready = true;
    this.pending.resolve(this);
    this.pending = undefined;
  }

  protected fail(err: Error): void {
    this.pending?.reject(err);
    this.pending = undefined;
  }

  protected closed(code: number): void {
    if (this.ready) this.handlers.onClose(code);
    else this.fail(new Error(`${this.target} closed the socket (${code}) before it was live`));
  }
}

/** Opens `url` with the generator's common socket options and wraps it; resolves when the wrapper calls `live()`. */
export function openBaselineSocket(
  url: string,
  spec: ClientSpec,
  wrap: (ws: WebSocket, pending: Pending) => BaselineSocket,
): Promise<BenchSocket> {
  return new Promise((resolve, reject) => {
    wrap(new WebSocket(url, { ...BENCH_WS_OPTIONS, localAddress: spec.localAddress }), { resolve, reject });
  });
}
