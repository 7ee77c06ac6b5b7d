/**
 * Reconnect delays: exponential with jitter, so that the clients of a
 * restarted gateway do not all come back in the same instant
 * (docs/protocol.md, "Close codes").
 *
 *   delay(attempt) = min(max, initial * factor^attempt) * (1 - jitter * random())
 */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: number;
}

export const BACKOFF_DEFAULTS: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 15_000, factor: 2, jitter: 0.5 };

export function backoffOptions(given: Partial<BackoffOptions> = {}): BackoffOptions {
  const o = { ...BACKOFF_DEFAULTS, ...given };
  return {
    initialDelayMs: Math.max(0, o.initialDelayMs),
    maxDelayMs: Math.max(0, o.maxDelayMs),
    factor: Math.max(1, o.factor),
    jitter: Math.min(1, Math.max(0, o.jitter)),
  };
}

/** The delay before reconnect attempt number `attempt` (0 for the first). */
export function backoffDelay(options: BackoffOptions, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, attempt));
  return Math.round(base * (1 - options.jitter * random()));
}
