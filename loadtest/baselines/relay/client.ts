/** The generator's side of the relay: one `ws` socket per simulated user (see ../socket.ts). */
import type WebSocket from 'ws';
import type { ClientHandlers, ClientSpec, TargetClient } from '../../bench/target.js';
import { readPublish, roomsQuery } from '../frames.js';
import { BaselineSocket, openBaselineSocket } from '../socket.js';

class RelaySocket extends BaselineSocket {
  /** The relay has no acks: `onAck` runs once the frame is handed to an open socket. */
  publish(room: string, body: string, _id: string, onAck: () => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify({ room, body }));
    onAck();
  }

  protected received(data: Buffer): void {
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return;
    }
    const message = readPublish(frame);
    if (message) this.handlers.onDeliver(message.room, message.body);
    // Sent once the relay's Redis subscriptions for every room of the socket are live.
    else if ((frame as { ready?: unknown }).ready === true) this.live();
  }
}

export const relayClient: TargetClient = {
  kind: 'relay',
  connect: (spec: ClientSpec, handlers: ClientHandlers) =>
    openBaselineSocket(`${spec.endpoint}/?rooms=${roomsQuery(spec.rooms)}`, spec, (ws: WebSocket, pending) => new RelaySocket(ws, handlers, pending, 'relay')),
};
