/**
 * The generator's side of the Socket.IO baseline: one raw `ws` socket per
 * simulated user, speaking the protocol through ./codec.ts (which says why
 * not socket.io-client). Per socket: the socket, the handlers, three
 * listeners, and a map of unanswered acks created on the first publish.
 */
import type WebSocket from 'ws';
import type { ClientHandlers, ClientSpec, TargetClient } from '../../bench/target.js';
import { readPublish, roomsQuery } from '../frames.js';
import { CONNECT_FRAME, PONG_FRAME, decodePacket, encodeEvent } from './codec.js';
import { BaselineSocket, openBaselineSocket } from '../socket.js';

class SocketIoSocket extends BaselineSocket {
  private nextAckId = 0;
  private acks: Map<number, () => void> | undefined;

  /** Emits `publish` with an ack id; `onAck` runs when the server's ACK for that id arrives. */
  publish(room: string, body: string, _id: string, onAck: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const ackId = this.nextAckId++;
    (this.acks ??= new Map()).set(ackId, onAck);
    this.ws.send(encodeEvent('publish', { room, body }, ackId));
  }

  protected received(data: Buffer): void {
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
        this.live();
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

  protected override closed(code: number): void {
    this.acks = undefined;
    super.closed(code);
  }
}

export const socketIoClient: TargetClient = {
  kind: 'socketio',
  connect: (spec: ClientSpec, handlers: ClientHandlers) =>
    openBaselineSocket(
      `${spec.endpoint}/socket.io/?EIO=4&transport=websocket&rooms=${roomsQuery(spec.rooms)}`,
      spec,
      (ws: WebSocket, pending) => new SocketIoSocket(ws, handlers, pending, 'socket.io'),
    ),
};
