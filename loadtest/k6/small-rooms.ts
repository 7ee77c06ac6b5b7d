/**
 * Scenario 2, many small rooms at a fixed publish rate. PARLEY_ROOMS rooms of
 * PARLEY_ROOM_SIZE members; one user per socket, so each socket receives
 * exactly its own room. The sockets connect over PARLEY_RAMP; then, for
 * PARLEY_DURATION, every socket publishes PARLEY_PUBLISH_RATE messages/s to
 * its room (total: sockets × rate messages/s, each delivered to the room).
 */
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { baseOptions, common, duration, integer, ms, optionalText, positive } from './lib/config.js';
import { mayConnect, scenarioEnd } from './lib/lifetime.js';
import { thresholds } from './lib/metrics.js';
import { finishRun, prepareRun, type RunData } from './lib/run.js';
import { ParleySocket } from './lib/socket.js';
import { tokenAt } from './lib/users.js';

const rooms = integer('PARLEY_ROOMS', 20, { min: 1 });
const roomSize = integer('PARLEY_ROOM_SIZE', 10, { min: 2 });
const rampMs = duration('PARLEY_RAMP', '30s');
const holdMs = duration('PARLEY_DURATION', '2m', 1000);
const rate = positive('PARLEY_PUBLISH_RATE', 0.1);

const sockets = rooms * roomSize;
if (optionalText('PARLEY_USERS') !== null) {
  throw new Error('PARLEY_USERS does not apply to small-rooms: it uses one user per socket, PARLEY_ROOMS × PARLEY_ROOM_SIZE');
}

export const options: Options = {
  ...baseOptions(sockets),
  scenarios: {
    members: {
      executor: 'ramping-vus',
      exec: 'member',
      startVUs: 0,
      stages: [
        { duration: ms(rampMs), target: sockets },
        { duration: ms(holdMs), target: sockets },
      ],
      gracefulStop: ms(common.ackGraceMs + 10_000),
    },
  },
  thresholds: { checks: thresholds.checks, ...thresholds.delivery },
};

export function setup(): RunData {
  const plans = Array.from({ length: rooms }, (_, r) => ({
    label: `small room ${r}`,
    members: Array.from({ length: roomSize }, (_, m) => r * roomSize + m),
  }));
  return prepareRun(sockets, rampMs + holdMs, plans);
}

export function member(data: RunData): void {
  const end = scenarioEnd(rampMs + holdMs);
  if (!mayConnect(end)) return;
  const index = (exec.vu.idInTest - 1) % sockets;
  const room = data.rooms[Math.floor(index / roomSize)];
  const intervalMs = 1000 / rate;
  const socket = new ParleySocket({
    token: tokenAt(data.users, index),
    run: data.run,
    rooms: [room],
    // Publishing starts once every socket is connected, at a random phase so rooms do not publish in step.
    onWelcome: () => socket.publishEvery(room, intervalMs, Math.max(0, scenarioEnd(rampMs) - Date.now()) + Math.random() * intervalMs),
  });
  socket.stopAt(end);
}

export function teardown(data: RunData): void {
  finishRun(data);
}
