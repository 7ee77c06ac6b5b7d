/**
 * Scenario 4, connect storm: PARLEY_CONNECT_RATE new sockets per second for
 * PARLEY_DURATION, each authenticated and subscribed to the global room plus
 * PARLEY_ROOMS_PER_USER rooms, which is the work a `welcome` waits for. A
 * socket closes at its welcome, or PARLEY_CONNECT_HOLD later. The rate is
 * sustained when welcomes stay fast, every check passes and k6 drops no
 * iterations (a dropped iteration is a connection k6 could not even start,
 * because all its VUs were still waiting for welcomes).
 */
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { baseOptions, common, duration, integer, ms } from './lib/config.js';
import { thresholds } from './lib/metrics.js';
import { finishRun, prepareRun, type RunData } from './lib/run.js';
import { ParleySocket } from './lib/socket.js';
import { tokenAt } from './lib/users.js';

const rate = integer('PARLEY_CONNECT_RATE', 20, { min: 1 });
const runMs = duration('PARLEY_DURATION', '1m', 1000);
const holdMs = duration('PARLEY_CONNECT_HOLD', '0s');
const users = integer('PARLEY_USERS', 100, { min: 1 });
const roomsPerUser = integer('PARLEY_ROOMS_PER_USER', 5, { min: 0, max: 1000 });
/** Enough VUs for every connection of the welcome timeout and hold window to be in flight at once. */
const maxVUs = integer('PARLEY_MAX_VUS', Math.ceil((rate * (common.welcomeTimeoutMs + holdMs)) / 1000) + rate, { min: 1 });

export const options: Options = {
  ...baseOptions(users),
  scenarios: {
    storm: {
      executor: 'constant-arrival-rate',
      exec: 'connect',
      rate,
      timeUnit: '1s',
      duration: ms(runMs),
      preAllocatedVUs: Math.min(maxVUs, Math.ceil((rate * (1000 + holdMs)) / 1000)),
      maxVUs,
      gracefulStop: ms(common.welcomeTimeoutMs + holdMs + 5000),
    },
  },
  thresholds: { checks: thresholds.checks, ...thresholds.welcome, dropped_iterations: ['count==0'] },
};

export function setup(): RunData {
  const everyone = Array.from({ length: users }, (_, i) => i);
  const plans = Array.from({ length: roomsPerUser }, (_, r) => ({ label: `storm room ${r}`, members: everyone }));
  return prepareRun(users, runMs + holdMs, plans);
}

export function connect(data: RunData): void {
  const socket = new ParleySocket({
    token: tokenAt(data.users, exec.scenario.iterationInTest),
    run: data.run,
    rooms: data.rooms,
    onWelcome: () => (holdMs > 0 ? socket.stopAt(Date.now() + holdMs) : socket.stop()),
  });
}

export function teardown(data: RunData): void {
  finishRun(data);
}
