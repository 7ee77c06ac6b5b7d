/**
 * Reconnect and resume under a rolling restart: what users live through
 * during every gateway deploy, and the bench does not do. PARLEY_ROOMS rooms
 * of PARLEY_ROOM_SIZE members, one user and one client per VU, each publishing
 * PARLEY_PUBLISH_RATE messages/s to its room. Clients connect with
 * `?resume=1` and keep the last seq per room; when a gateway closes their
 * socket (1012 on a drain) they reconnect with jitter and resume from there.
 *
 * Run it while the gateways restart (loadtest/README.md):
 *   kubectl rollout restart deploy/parley-gateway
 * Thresholds: every resume recovered from the room log, nothing announced
 * missing, no duplicate and no silent gap, reconnects within
 * PARLEY_RECONNECT_P95_MS, and at least PARLEY_MIN_RECONNECTS reconnects
 * (a run without a restart tested nothing).
 */
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { baseOptions, common, duration, integer, ms, optionalText, positive } from './lib/config.js';
import { mayConnect, scenarioEnd } from './lib/lifetime.js';
import { thresholds } from './lib/metrics.js';
import { resumeThresholds } from './lib/resume-metrics.js';
import { ResumingClient } from './lib/resume-socket.js';
import { finishRun, prepareRun, type RunData } from './lib/run.js';
import { tokenAt } from './lib/users.js';

const rooms = integer('PARLEY_ROOMS', 10, { min: 1 });
const roomSize = integer('PARLEY_ROOM_SIZE', 10, { min: 2 });
const rampMs = duration('PARLEY_RAMP', '30s');
const holdMs = duration('PARLEY_DURATION', '5m', 1000);
const rate = positive('PARLEY_PUBLISH_RATE', 0.2);

const clients = rooms * roomSize;
if (optionalText('PARLEY_USERS') !== null) {
  throw new Error('PARLEY_USERS does not apply to reconnect-resume: it uses one user per client, PARLEY_ROOMS × PARLEY_ROOM_SIZE');
}

export const options: Options = {
  ...baseOptions(clients),
  scenarios: {
    clients: {
      executor: 'ramping-vus',
      exec: 'client',
      startVUs: 0,
      stages: [
        { duration: ms(rampMs), target: clients },
        { duration: ms(holdMs), target: clients },
      ],
      gracefulStop: ms(common.ackGraceMs + 10_000),
    },
  },
  thresholds: { checks: thresholds.checks, ...thresholds.delivery, ...resumeThresholds },
};

export function setup(): RunData {
  const plans = Array.from({ length: rooms }, (_, r) => ({
    label: `resume room ${r}`,
    members: Array.from({ length: roomSize }, (_, m) => r * roomSize + m),
  }));
  return prepareRun(clients, rampMs + holdMs, plans);
}

/**
 * One iteration per VU for the whole run: the client reconnects by itself,
 * and its iteration lasts until it stops at the scenario's end.
 */
export function client(data: RunData): void {
  const end = scenarioEnd(rampMs + holdMs);
  if (!mayConnect(end)) return;
  const index = (exec.vu.idInTest - 1) % clients;
  const room = data.rooms[Math.floor(index / roomSize)];
  const intervalMs = 1000 / rate;
  const resuming = new ResumingClient({ token: tokenAt(data.users, index), run: data.run, rooms: [room] });
  // Publishing starts once every client is connected, at a random phase so rooms do not publish in step.
  resuming.publishEvery(room, intervalMs, Math.max(0, scenarioEnd(rampMs) - Date.now()) + Math.random() * intervalMs);
  resuming.stopAt(end);
}

export function teardown(data: RunData): void {
  finishRun(data);
}
