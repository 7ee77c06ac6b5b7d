/**
 * Scenario 2, many small rooms at a fixed publish rate, whatever the sockets
 * speak (small-rooms.ts: the raw endpoint; socketio-small-rooms.ts:
 * Socket.IO). PARLEY_ROOMS rooms of PARLEY_ROOM_SIZE members; one user per
 * socket, so each socket receives exactly its own room. The sockets connect
 * over PARLEY_RAMP; then, for PARLEY_DURATION, every socket publishes
 * PARLEY_PUBLISH_RATE messages/s to its room (total: sockets × rate
 * messages/s, each delivered to the room).
 */
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { baseOptions, common, duration, integer, ms, optionalText, positive } from './config.js';
import { mayConnect, scenarioEnd } from './lifetime.js';
import type { LoadSocket, SocketOptions } from './load-socket.js';
import { thresholds } from './metrics.js';
import { finishRun, prepareRun, type RunData } from './run.js';
import { tokenAt } from './users.js';

/** What a scenario module exports (k6 runs `member` for the `members` scenario). */
export interface SmallRooms {
  options: Options;
  setup(): RunData;
  member(data: RunData): void;
  teardown(data: RunData): void;
}

/** The scenario of `script`, whose sockets `open` makes. Call it in the init context (it reads the environment). */
export function smallRooms(script: string, open: (options: SocketOptions) => LoadSocket): SmallRooms {
  const rooms = integer('PARLEY_ROOMS', 20, { min: 1 });
  const roomSize = integer('PARLEY_ROOM_SIZE', 10, { min: 2 });
  const rampMs = duration('PARLEY_RAMP', '30s');
  const holdMs = duration('PARLEY_DURATION', '2m', 1000);
  const rate = positive('PARLEY_PUBLISH_RATE', 0.1);

  const sockets = rooms * roomSize;
  if (optionalText('PARLEY_USERS') !== null) {
    throw new Error(`PARLEY_USERS does not apply to ${script}: it uses one user per socket, PARLEY_ROOMS × PARLEY_ROOM_SIZE`);
  }

  const options: Options = {
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

  function setup(): RunData {
    const plans = Array.from({ length: rooms }, (_, r) => ({
      label: `small room ${r}`,
      members: Array.from({ length: roomSize }, (_, m) => r * roomSize + m),
    }));
    return prepareRun(sockets, rampMs + holdMs, plans);
  }

  function member(data: RunData): void {
    const end = scenarioEnd(rampMs + holdMs);
    if (!mayConnect(end)) return;
    const index = (exec.vu.idInTest - 1) % sockets;
    const room = data.rooms[Math.floor(index / roomSize)];
    const intervalMs = 1000 / rate;
    const socket = open({
      token: tokenAt(data.users, index),
      run: data.run,
      rooms: [room],
      // Publishing starts once every socket is connected, at a random phase so rooms do not publish in step.
      onWelcome: () => socket.publishEvery(room, intervalMs, Math.max(0, scenarioEnd(rampMs) - Date.now()) + Math.random() * intervalMs),
    });
    socket.stopAt(end);
  }

  return { options, setup, member, teardown: finishRun };
}
