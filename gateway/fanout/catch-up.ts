/**
 * Sockets that are being caught up on a room (resume): what the relay
 * delivers to the room while its replay is read (messages, and gap notices)
 * is buffered per socket instead of being lost or delivered early. The resume
 * handler then sends the replay, the buffered items newer than it, and joins
 * the socket to the room's live topic in one synchronous step, so nothing
 * falls between.
 */
import type { ChatMessage, SeqRange } from '../../shared/protocol/frames.js';
import type { Socket } from '../connection.js';

/** What the relay hands a room's topic: a message, or a range it had to skip. */
export type Relayed = { message: ChatMessage } | { gap: SeqRange };

export class CatchUps {
  private readonly byRoom = new Map<string, Set<Socket>>();

  begin(ws: Socket, room: string): void {
    const conn = ws.getUserData();
    (conn.catchingUp ??= new Map()).set(room, []);
    let set = this.byRoom.get(room);
    if (!set) this.byRoom.set(room, (set = new Set()));
    set.add(ws);
  }

  /** Called by the relay for everything it delivers: buffered for sockets catching up on the room. */
  relay(room: string, item: Relayed): void {
    const set = this.byRoom.get(room);
    if (!set) return;
    for (const ws of set) ws.getUserData().catchingUp?.get(room)?.push(item);
  }

  /**
   * Ends the catch-up and hands back what was buffered after `seq` (the
   * replay's end), in relay order, which is seq order; a gap straddling
   * `seq` is cut to its part after it.
   */
  end(ws: Socket, room: string, seq: number): Relayed[] {
    const buffered = ws.getUserData().catchingUp?.get(room) ?? [];
    this.cancel(ws, room);
    const after: Relayed[] = [];
    for (const item of buffered) {
      if ('message' in item) {
        if (item.message.seq > seq) after.push(item);
      } else if (item.gap.to > seq) {
        after.push({ gap: { from: Math.max(item.gap.from, seq + 1), to: item.gap.to } });
      }
    }
    return after;
  }

  cancel(ws: Socket, room: string): void {
    const conn = ws.getUserData();
    conn.catchingUp?.delete(room);
    // Most sockets never resume: the map exists only while one is under way.
    if (conn.catchingUp?.size === 0) conn.catchingUp = null;
    const set = this.byRoom.get(room);
    if (!set?.delete(ws)) return;
    if (set.size === 0) this.byRoom.delete(room);
  }

  cancelAll(ws: Socket): void {
    for (const room of [...(ws.getUserData().catchingUp?.keys() ?? [])]) this.cancel(ws, room);
  }
}
