/**
 * The generator's side of the relay: one `ws` socket per simulated user.
 * Per socket it holds the socket, the handlers and three listeners, nothing
 * more, since one generator thread runs thousands of these.
 */
import WebSocket from 'ws';
import type { BenchSocket, ClientHandlers, ClientSpec, TargetClient } from '../../bench/target.js';
import { readPublish, roomsQuery } from '../frames.js';
import { BENCH_WS_OPTIONS } from '../../bench/ws-options.js';

interface Pending {
  resolve(socket: BenchSocket): void;
  reject(err: Error): void;
}

class RelaySocket implements BenchSocket {
  /** Set until the relay's ready frame arrives (or the socket fails first). */
  private pending: Pending | undefined;
  /** Only a socket that was handed out reports its close. */
  private ready = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly handlers: ClientHandlers,
    pending: Pending,
  ) {
    this.pending = pending;
    ws.on('message', (data: Buffer) => this.received(data));
    ws.on('close', (code: number) => this.closed(code));
    // An error is always followed by 'close'; before that, it is the reason connect fails.
    ws.on('error', (err: Error) => this.fail(err));
  }

  /** The relay has no acks: `onAck` runs once the frame is handed to an open socket. */
  publish(room: string, body: string, _id: string, onAck: () => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ room, body }));
    onAck();
  }

  close(): void {
    this.ws.close(1000);
  }

  private received(data: Buffer): void {
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return;
    }
    const message = readPublish(frame);
    if (message) this.handlers.onDeliver(message.room, message.body);
    else if (this.pending && (frame as { ready?: unknown }).ready === true) {
      this.ready = true;
      this.pending.resolve(this);
      this.pending = undefined;
    }
  }

  private closed(code: number): void {
    if (this.ready) this.handlers.onClose(code);
    else this.fail(new Error(`relay closed the socket (${code}) before it was ready`));
  }

  private fail(err: Error): void {
    this.pending?.reject(err);
    this.pending = undefined;
  }
}

export const relayClient: TargetClient = {
  kind: 'relay',
  connect(spec: ClientSpec, handlers: ClientHandlers): Promise<BenchSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${spec.endpoint}/?rooms=${roomsQuery(spec.rooms)}`, {
        ...BENCH_WS_OPTIONS,
        localAddress: spec.localAddress,
      });
      new RelaySocket(ws, handlers, { resolve, reject });
    });
  },
};
