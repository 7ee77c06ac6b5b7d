/**
 * Sockets that are being caught up on a room (resume): live messages relayed
 * for the room while its replay is read are buffered per socket instead of
 * being lost or delivered early. The resume handler then sends the replay,
 * the buffered messages newer than it, and joins the socket to the room's live
 * topic in one synchronous step, so nothing falls between.
 */
import type { ChatMessage } from '../shared/protocol/frames.js';
import type { Socket } from './connection.js';

export class CatchUps {
  private readonly byRoom = new Map<string, Set<Socket>>();

  begin(ws: Socket, room: string): void {
    ws.getUserData().catchingUp.set(room, []);
    let set = this.byRoom.get(room);
    if (!set) this.byRoom.set(room, (set = new Set()));
    set.add(ws);
  }

  /** Called by the relay for every live message: buffers it for sockets catching up on its room. */
  relay(message: ChatMessage): void {
    const set = this.byRoom.get(message.room);
    if (!set) return;
    for (const ws of set) ws.getUserData().catchingUp.get(message.room)?.push(message);
  }

  /** Ends the catch-up and hands back what was buffered (in relay order, which is seq order). */
  end(ws: Socket, room: string): ChatMessage[] {
    const buffered = ws.getUserData().catchingUp.get(room) ?? [];
    this.cancel(ws, room);
    return buffered;
  }

  cancel(ws: Socket, room: string): void {
    ws.getUserData().catchingUp.delete(room);
    const set = this.byRoom.get(room);
    if (!set?.delete(ws)) return;
    if (set.size === 0) this.byRoom.delete(room);
  }

  cancelAll(ws: Socket): void {
    for (const room of [...ws.getUserData().catchingUp.keys()]) this.cancel(ws, room);
  }
}
