/**
 * Scenario 1, one big room. PARLEY_SOCKETS listeners join one room over
 * PARLEY_RAMP; then publishers join too, PARLEY_PUBLISHERS_STEP more every
 * PARLEY_STEP_DURATION for PARLEY_STEPS steps, each publishing
 * PARLEY_PUBLISH_RATE messages/s. The room's message rate, and with it the
 * fan-out (rate × sockets deliveries/s), steps up until delivery latency gives.
 */
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { baseOptions, common, duration, integer, ms, positive } from './lib/config.js';
import { mayConnect, scenarioEnd } from './lib/lifetime.js';
import { thresholds } from './lib/metrics.js';
import { finishRun, prepareRun, type RunData } from './lib/run.js';
import { ParleySocket } from './lib/socket.js';
import { tokenAt } from './lib/users.js';

const sockets = integer('PARLEY_SOCKETS', 200, { min: 1 });
const users = integer('PARLEY_USERS', 100, { min: 1 });
const rampMs = duration('PARLEY_RAMP', '30s');
const step = integer('PARLEY_PUBLISHERS_STEP', 2, { min: 1 });
const steps = integer('PARLEY_STEPS', 5, { min: 1 });
const stepMs = duration('PARLEY_STEP_DURATION', '30s', 2000);
const rate = positive('PARLEY_PUBLISH_RATE', 1);

const publishMs = steps * stepMs;
/** Sockets stop at the scenario's end; this covers the ack grace after it. */
const gracefulStop = ms(common.ackGraceMs + 10_000);

export const options: Options = {
  ...baseOptions(users),
  scenarios: {
    listeners: {
      executor: 'ramping-vus',
      exec: 'listener',
      startVUs: 0,
      stages: [
        { duration: ms(rampMs), target: sockets },
        { duration: ms(publishMs), target: sockets },
      ],
      gracefulStop,
    },
    publishers: {
      executor: 'ramping-vus',
      exec: 'publisher',
      startVUs: 0,
      startTime: ms(rampMs),
      // Each step adds its publishers within a second, then holds them.
      stages: Array.from({ length: steps }, (_, i) => [
        { duration: '1s', target: (i + 1) * step },
        { duration: ms(stepMs - 1000), target: (i + 1) * step },
      ]).flat(),
      gracefulStop,
    },
  },
  thresholds: { checks: thresholds.checks, ...thresholds.delivery },
};

export function setup(): RunData {
  return prepareRun(users, rampMs + publishMs, [{ label: 'big room', members: Array.from({ length: users }, (_, i) => i) }]);
}

export function listener(data: RunData): void {
  const end = scenarioEnd(rampMs + publishMs);
  if (!mayConnect(end)) return;
  const socket = new ParleySocket({ token: tokenAt(data.users, exec.vu.idInTest - 1), run: data.run, rooms: data.rooms });
  socket.stopAt(end);
}

export function publisher(data: RunData): void {
  const end = scenarioEnd(publishMs);
  if (!mayConnect(end)) return;
  const [room] = data.rooms;
  const intervalMs = 1000 / rate;
  const socket = new ParleySocket({
    token: tokenAt(data.users, exec.vu.idInTest - 1),
    run: data.run,
    rooms: data.rooms,
    // A random phase, so publishers that start together do not publish in bursts.
    onWelcome: () => socket.publishEvery(room, intervalMs, Math.random() * intervalMs),
  });
  socket.stopAt(end);
}

export function teardown(data: RunData): void {
  finishRun(data);
}
