/**
 * The generator's side of the Socket.IO baseline: one raw `ws` socket per
 * simulated user, speaking the protocol through ./codec.ts (which says why
 * not socket.io-client). Per socket: the socket, the handlers, three
 * listeners, and a map of unanswered acks created on the first publish.
 *
 * `SocketIoSocket` is the part any hand-codec Socket.IO client shares (the
 * Engine.IO handshake and heartbeat, emits with acks, teardown); parley's
 * Socket.IO transport is driven by a subclass of it too
 * (bench/targets/parley-socketio-client.ts), so both cost the generator the
 * same per socket and differ only in what their events carry.
 */
import type WebSocket from 'ws';
import type { ClientHandlers, ClientSpec, TargetClient } from '../../bench/target.js';
import { readPublish, roomsQuery } from '../frames.js';
import { CONNECT_FRAME, PONG_FRAME, decodePacket, encodeEvent } from './codec.js';
import { BaselineSocket, openBaselineSocket } from '../socket.js';

export abstract class SocketIoSocket extends BaselineSocket {
  private nextAckId = 0;
  private acks: Map<number, () => void> | undefined;

  /** The CONNECT packet, sent once Engine.IO's open packet arrived. */
  protected abstract connectFrame(): string;
  /** The server's CONNECT reply arrived: the socket is in the namespace. */
  protected abstract connected(): void;
  /** An event from the server; `data` is its first argument. */
  protected abstract event(name: string, data: unknown): void;

  /** The ACK for an emit arrived, with its first argument; by default the ack itself is the answer. */
  protected replied(onAck: () => void, _reply: unknown): void {
    onAck();
  }

  /** The error a CONNECT_ERROR rejects `connect` with. */
  protected refusal(message: string): Error {
    return new Error(`socket.io refused the connection: ${message}`);
  }

  /** Emits `name` with an ack id; `replied(onAck, …)` runs when the server's ACK for that id arrives. */
  protected emitWithAck(name: string, data: unknown, onAck: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const ackId = this.nextAckId++;
    (this.acks ??= new Map()).set(ackId, onAck);
    this.ws.send(encodeEvent(name, data, ackId));
  }

  protected received(data: Buffer): void {
    const packet = decodePacket(data.toString());
    switch (packet.type) {
      case 'event':
        this.event(packet.name, packet.data);
        return;
      case 'ack': {
        const onAck = this.acks?.get(packet.id);
        if (!onAck) return;
        this.acks!.delete(packet.id);
        this.replied(onAck, packet.data);
        return;
      }
      case 'ping':
        this.ws.send(PONG_FRAME);
        return;
      case 'open':
        this.ws.send(this.connectFrame());
        return;
      case 'connect':
        this.connected();
        return;
      case 'connect_error':
        this.fail(this.refusal(packet.message));
        this.ws.close();
        return;
      case 'disconnect':
        this.ws.close();
        return;
      case 'other':
        return;
    }
  }

  protected override closed(code: number): void {
    this.acks = undefined;
    super.closed(code);
  }
}

/** The baseline's socket: rooms in the URL, `{room, body}` messages, empty acks. */
class BaselineSocketIoSocket extends SocketIoSocket {
  /** Emits `publish` with an ack id; `onAck` runs when the server's ACK for that id arrives. */
  publish(room: string, body: string, _id: string, onAck: () => void): void {
    this.emitWithAck('publish', { room, body }, onAck);
  }

  protected connectFrame(): string {
    return CONNECT_FRAME;
  }

  protected connected(): void {
    // The server joins the rooms in the same turn as it queues this reply,
    // before it handles anything else, and the adapter's Redis
    // subscription covers every room from startup: nothing is missed from here.
    this.live();
  }

  protected event(name: string, data: unknown): void {
    const message = name === 'message' ? readPublish(data) : undefined;
    if (message) this.handlers.onDeliver(message.room, message.body);
  }
}

export const socketIoClient: TargetClient = {
  kind: 'socketio',
  connect: (spec: ClientSpec, handlers: ClientHandlers) =>
    openBaselineSocket(
      `${spec.endpoint}/socket.io/?EIO=4&transport=websocket&rooms=${roomsQuery(spec.rooms)}`,
      spec,
      (ws: WebSocket, pending) => new BaselineSocketIoSocket(ws, handlers, pending, 'socket.io'),
    ),
};
