/**
 * A tiny typed event emitter. A listener that throws does not break the SDK
 * (whose state has already moved on): its error is reported as an 'error'
 * event, or dropped if it came from an 'error' listener itself.
 */
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  /** Adds a listener; returns the function that removes it. */
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  has(event: keyof Events): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (err) {
        if (event !== 'error') this.emit('error' as E, ...([err instanceof Error ? err : new Error(String(err))] as Parameters<Events[E]>));
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
