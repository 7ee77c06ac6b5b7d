/**
 * Sockets that live for a whole scenario. A k6 iteration lasts as long as its
 * sockets, so a `ramping-vus` VU runs one iteration per connection: the socket
 * stops itself at the scenario's end, and if the server drops it earlier, k6
 * starts the next iteration, which reconnects.
 */
import { sleep } from 'k6';
import exec from 'k6/execution';

/** When the current scenario ends, `runMs` after it started. */
export function scenarioEnd(runMs: number): number {
  return exec.scenario.startTime + runMs;
}

/**
 * Whether to open a socket now. Near the end it sleeps the rest out instead
 * (an iteration that returns at once would be restarted in a busy loop), and
 * after a drop it waits 1–2 s, so a failing gateway is not hammered in step
 * by every VU.
 */
export function mayConnect(endAt: number): boolean {
  const left = endAt - Date.now();
  if (left < 1000) {
    if (left > 0) sleep(left / 1000);
    return false;
  }
  if (exec.vu.iterationInScenario > 0) sleep(1 + Math.random());
  return true;
}
