/**
 * The generator's side of the Socket.IO baseline: one raw `ws` socket per
 * simulated user, speaking the protocol through ./codec.ts (which says why
 * not socket.io-client). Per socket: the socket, the handlers, three
 * listeners, and a map of unanswered acks created on the first publish.
 */
import WebSocket from 'ws';
import type { BenchSocket, ClientHandlers, ClientSpec, TargetClient } from '../../bench/target.js';
import { readPublish, roomsQuery } from '../frames.js';
import { CONNECT_FRAME, PONG_FRAME, decodePacket, encodeEvent } from './codec.js';
import { BENCH_WS_OPTIONS } from '../../bench/ws-options.js';

interface Pending {
  resolve(socket: BenchSocket): void;
  reject(err: Error): void;
}

class SocketIoSocket implements BenchSocket {
  /** Set until the namespace CONNECT reply arrives (or the socket fails first). */
  private pending: Pending | undefined;
  /** Only a socket that was handed out reports its close. */
  private ready = false;
  private nextAckId = 0;
  private acks: Map<number, () => void> | undefined;

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

  /** Emits `publish` with an ack id; `onAck` runs when the server's ACK for that id arrives. */
  publish(room: string, body: string, _id: string, onAck: () => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const ackId = this.nextAckId++;
    (this.acks ??= new Map()).set(ackId, onAck);
    this.ws.send(encodeEvent('publish', { room, body }, ackId));
  }

  close(): void {
    this.ws.close(1000);
  }

  private received(data: Buffer): void {
    const packet = decodePacket(data.toString());
    switch (packet.type) {
      case 'event': {
        const message = packet.name === 'message' ? readPublish(packet.data) : undefined;
        if (message) this.handlers.onDeliver(message.room, message.body);
        return;
      }
      case 'ack': {
        const onAck = this.acks?.get(packet.id);
        if (!onAck) return;
        this.acks!.delete(packet.id);
        onAck();
        return;
      }
      case 'ping':
        this.ws.send(PONG_FRAME);
        return;
      case 'open':
        this.ws.send(CONNECT_FRAME);
        return;
      case 'connect':
        // The server joins the rooms in the same turn as it queues this reply,
        // before it handles anything else, and the adapter's Redis
        // subscription covers every room from startup: nothing is missed from here.
        if (!this.pending) return;
        this.ready = true;
        this.pending.resolve(this);
        this.pending = undefined;
        return;
      case 'connect_error':
        this.fail(new Error(`socket.io refused the connection: ${packet.message}`));
        this.ws.close();
        return;
      case 'disconnect':
        this.ws.close();
        return;
      case 'other':
        return;
    }
  }

  private closed(code: number): void {
    this.acks = undefined;
    if (this.ready) this.handlers.onClose(code);
    else this.fail(new Error(`socket.io closed the socket (${code}) before it was connected`));
  }

  private fail(err: Error): void {
    this.pending?.reject(err);
    this.pending = undefined;
  }
}

export const socketIoClient: TargetClient = {
  kind: 'socketio',
  connect(spec: ClientSpec, handlers: ClientHandlers): Promise<BenchSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${spec.endpoint}/socket.io/?EIO=4&transport=websocket&rooms=${roomsQuery(spec.rooms)}`, {
        ...BENCH_WS_OPTIONS,
        localAddress: spec.localAddress,
      });
      new SocketIoSocket(ws, handlers, { resolve, reject });
    });
  },
};
