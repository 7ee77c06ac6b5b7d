/**
 * Whether a publishing step passed, shared by the rate ladders (scenarios 1
 * and 2). A step fails on a latency over its limit, on any acked message
 * missing at any receiver, on a delivery that was never acked, on any error
 * frame or close, or when deliveries had not settled by the end of the drain:
 * past any of these the rate is not "sustained", whatever the throughput.
 */
import { sumValues } from './common.js';
import type { PublishWindow } from './window.js';

export interface StepLimits {
  p99LimitMs: number;
  /** Scenario 1 fails above the limit (p99 > limit); scenario 2 at it (p99 must stay below the limit). */
  failAtLimit: boolean;
  drainMs: number;
}

/** The reasons a step failed; empty when it passed. */
export function stepFailures(window: PublishWindow, limits: StepLimits): string[] {
  const { latency, loss, errors, closes, settled } = window;
  const failed: string[] = [];
  const over = limits.failAtLimit ? latency.p99Ms >= limits.p99LimitMs : latency.p99Ms > limits.p99LimitMs;
  if (over) failed.push(`p99 ${latency.p99Ms} ms ${limits.failAtLimit ? '≥' : '>'} ${limits.p99LimitMs} ms`);
  if (loss.ackedNotDelivered > 0) failed.push(`${loss.ackedNotDelivered} acked deliveries missing`);
  if (loss.deliveredUnacked > 0) failed.push(`${loss.deliveredUnacked} messages delivered but not acked`);
  if (sumValues(errors) > 0) failed.push(`errors ${JSON.stringify(errors)}`);
  if (sumValues(closes) > 0) failed.push(`closes ${JSON.stringify(closes)}`);
  if (!settled) failed.push(`deliveries still arriving ${limits.drainMs} ms after publishing stopped`);
  return failed;
}
