/**
 * Live sockets indexed by session, so a revoked session's sockets on this
 * gateway can be found and closed (1008) without scanning every socket.
 */
import type { Socket } from './connection.js';

export class SessionIndex {
  private readonly bySession = new Map<string, Set<Socket>>();
  private count = 0;

  add(sessionId: string, ws: Socket): void {
    let set = this.bySession.get(sessionId);
    if (!set) this.bySession.set(sessionId, (set = new Set()));
    set.add(ws);
    this.count++;
  }

  remove(sessionId: string, ws: Socket): void {
    const set = this.bySession.get(sessionId);
    if (!set?.delete(ws)) return;
    this.count--;
    if (set.size === 0) this.bySession.delete(sessionId);
  }

  socketsOf(sessionId: string): Socket[] {
    return [...(this.bySession.get(sessionId) ?? [])];
  }

  sessionIds(): string[] {
    return [...this.bySession.keys()];
  }

  all(): Socket[] {
    return [...this.bySession.values()].flatMap((s) => [...s]);
  }

  get size(): number {
    return this.count;
  }
}
