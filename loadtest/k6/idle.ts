/**
 * Scenario 3, idle capacity. PARLEY_SOCKETS authenticated sockets, opened over
 * PARLEY_RAMP and held for PARLEY_DURATION, that send nothing (k6 answers the
 * gateway's WebSocket pings, which keeps them open). What the run shows from
 * outside: whether every socket gets its `welcome` and stays (the server side,
 * memory per socket, is in the gateway's metrics); and, through two probe
 * sockets publishing in a room of their own, whether a gateway full of idle
 * sockets still delivers promptly.
 *
 * One VU holds PARLEY_SOCKETS_PER_VU sockets: a k6 VU costs megabytes, an
 * idle socket on its event loop almost nothing.
 */
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { baseOptions, common, duration, integer, ms, positive } from './lib/config.js';
import { mayConnect, scenarioEnd } from './lib/lifetime.js';
import { thresholds } from './lib/metrics.js';
import { finishRun, prepareRun, type RunData } from './lib/run.js';
import { ParleySocket } from './lib/socket.js';
import { tokenAt } from './lib/users.js';

const sockets = integer('PARLEY_SOCKETS', 1000, { min: 1 });
const perVu = integer('PARLEY_SOCKETS_PER_VU', 10, { min: 1, max: 10_000 });
const users = integer('PARLEY_USERS', 100, { min: 1 });
const rampMs = duration('PARLEY_RAMP', '1m');
const holdMs = duration('PARLEY_DURATION', '2m', 1000);
const probeRate = positive('PARLEY_PROBE_RATE', 1);

const vus = Math.ceil(sockets / perVu);
/** The probes' user comes after the idle users, so no idle socket is in the probe room. */
const probeUser = users;
const gracefulStop = ms(common.ackGraceMs + 10_000);

export const options: Options = {
  ...baseOptions(users + 1),
  scenarios: {
    idle: {
      executor: 'ramping-vus',
      exec: 'idle',
      startVUs: 0,
      stages: [
        { duration: ms(rampMs), target: vus },
        { duration: ms(holdMs), target: vus },
      ],
      gracefulStop,
    },
    probe: {
      executor: 'constant-vus',
      exec: 'probe',
      vus: 2,
      duration: ms(rampMs + holdMs),
      gracefulStop,
    },
  },
  thresholds: { checks: thresholds.checks, ...thresholds.delivery, ...thresholds.welcome },
};

export function setup(): RunData {
  return prepareRun(users + 1, rampMs + holdMs, [{ label: 'idle probe', members: [probeUser] }]);
}

export function idle(data: RunData): void {
  const end = scenarioEnd(rampMs + holdMs);
  if (!mayConnect(end)) return;
  for (let i = 0; i < perVu; i++) {
    const socketIndex = (exec.vu.idInTest - 1) * perVu + i;
    new ParleySocket({ token: tokenAt(data.users, socketIndex % users), run: data.run }).stopAt(end);
  }
}

export function probe(data: RunData): void {
  const end = scenarioEnd(rampMs + holdMs);
  if (!mayConnect(end)) return;
  const [room] = data.rooms;
  const intervalMs = 1000 / probeRate;
  const socket = new ParleySocket({
    token: tokenAt(data.users, probeUser),
    run: data.run,
    rooms: [room],
    onWelcome: () => socket.publishEvery(room, intervalMs, Math.random() * intervalMs),
  });
  socket.stopAt(end);
}

export function teardown(data: RunData): void {
  finishRun(data);
}
