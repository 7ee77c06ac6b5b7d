/**
 * Scenario 2, many small rooms, over Socket.IO: the workload of small-rooms.ts
 * (lib/small-rooms.ts, same variables, checks, metrics and thresholds), with
 * every socket speaking Socket.IO on the Engine.IO websocket transport at
 * PARLEY_SOCKETIO_PATH (lib/socketio-socket.ts): CONNECT with the token in
 * `auth`, events for frames, and each `publish` acknowledged through its ack
 * id. Comparing it with small-rooms on the same deployment shows what the
 * Socket.IO envelope costs.
 */
import { smallRooms } from './lib/small-rooms.js';
import { SioLoadSocket } from './lib/socketio-socket.js';

const scenario = smallRooms('socketio-small-rooms', (options) => new SioLoadSocket(options));

export const { options, setup, member, teardown } = scenario;
