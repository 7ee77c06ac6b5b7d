/**
 * Live sockets indexed by session and by user, so a revoked session's
 * sockets, or a user whose membership changed, can be found on this gateway
 * without scanning every socket.
 */
import type { Socket } from './connection.js';

/**
 * Keys to sets of values. A key with one value (a session's one socket, a
 * user's one device: the common case) holds the value itself, not a Set of
 * one: a Set costs about 130 bytes, and there are two entries per socket.
 */
class MultiMap<V extends object> {
  private readonly map = new Map<string, V | Set<V>>();

  add(key: string, value: V): boolean {
    const held = this.map.get(key);
    if (held === undefined) {
      this.map.set(key, value);
      return true;
    }
    if (held instanceof Set) {
      const before = held.size;
      held.add(value);
      return held.size > before;
    }
    if (held === value) return false;
    this.map.set(key, new Set([held, value]));
    return true;
  }

  remove(key: string, value: V): boolean {
    const held = this.map.get(key);
    if (held === undefined) return false;
    if (!(held instanceof Set)) {
      if (held !== value) return false;
      this.map.delete(key);
      return true;
    }
    if (!held.delete(value)) return false;
    if (held.size === 1) this.map.set(key, held.values().next().value!);
    return true;
  }

  get(key: string): V[] {
    const held = this.map.get(key);
    if (held === undefined) return [];
    return held instanceof Set ? [...held] : [held];
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

  /** False if the socket was not indexed (closed before it opened). */
  remove(ws: Socket): boolean {
    const { principal } = ws.getUserData();
    if (!this.bySession.remove(principal.sessionId, ws)) return false;
    this.count--;
    this.byUser.remove(principal.userId, ws);
    return true;
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
