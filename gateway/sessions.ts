/**
 * Live sockets indexed by session and by user, so a revoked session's
 * sockets, or a user whose membership changed, can be found on this gateway
 * without scanning every socket.
 */
import type { Socket } from './connection.js';

class MultiMap<V> {
  private readonly map = new Map<string, Set<V>>();

  add(key: string, value: V): boolean {
    let set = this.map.get(key);
    if (!set) this.map.set(key, (set = new Set()));
    const before = set.size;
    set.add(value);
    return set.size > before;
  }

  remove(key: string, value: V): boolean {
    const set = this.map.get(key);
    if (!set?.delete(value)) return false;
    if (set.size === 0) this.map.delete(key);
    return true;
  }

  get(key: string): V[] {
    return [...(this.map.get(key) ?? [])];
  }

  keys(): string[] {
    return [...this.map.keys()];
  }
}

export class SessionIndex {
  private readonly bySession = new MultiMap<Socket>();
  private readonly byUser = new MultiMap<Socket>();
  private count = 0;

  add(ws: Socket): void {
    const { principal } = ws.getUserData();
    if (this.bySession.add(principal.sessionId, ws)) this.count++;
    this.byUser.add(principal.userId, ws);
  }

  remove(ws: Socket): void {
    const { principal } = ws.getUserData();
    if (this.bySession.remove(principal.sessionId, ws)) this.count--;
    this.byUser.remove(principal.userId, ws);
  }

  socketsOf(sessionId: string): Socket[] {
    return this.bySession.get(sessionId);
  }

  socketsOfUser(userId: string): Socket[] {
    return this.byUser.get(userId);
  }

  sessionIds(): string[] {
    return this.bySession.keys();
  }

  userIds(): string[] {
    return this.byUser.keys();
  }

  all(): Socket[] {
    return this.bySession.keys().flatMap((k) => this.bySession.get(k));
  }

  get size(): number {
    return this.count;
  }
}
