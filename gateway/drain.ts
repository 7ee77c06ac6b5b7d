/**
 * Drain state: once started, new upgrades and publishes are refused, and
 * the publishes already in flight can be waited for (bounded).
 */
export class Drain {
  private started = false;
  private readonly inflight = new Set<Promise<unknown>>();

  get draining(): boolean {
    return this.started;
  }

  start(): void {
    this.started = true;
  }

  /** Tracks async work (a publish) so the drain can wait for it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    const done = () => this.inflight.delete(work);
    void work.then(done, done);
    return work;
  }

  /** Resolves once the tracked work has finished, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.inflight]), deadline]);
    clearTimeout(timer);
  }
}
