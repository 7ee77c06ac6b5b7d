/**
 * A token bucket: `rate` tokens per second, holding at most `burst`. Each
 * action takes one token; with none left the caller is told how long until
 * the next one. Kept here rather than taken from a library because the
 * maintained Node limiters are fixed-window counters, and the protocol
 * promises a token bucket (smooth rate, bounded bursts).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  /** Takes a token: 0 when allowed, otherwise the milliseconds until one is available. */
  take(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }
}
