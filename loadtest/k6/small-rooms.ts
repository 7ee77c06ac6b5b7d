/**
 * Scenario 2, many small rooms at a fixed publish rate, over the raw endpoint
 * (`/v1/ws`). PARLEY_ROOMS rooms of PARLEY_ROOM_SIZE members; one user per
 * socket, so each socket receives exactly its own room. The sockets connect
 * over PARLEY_RAMP; then, for PARLEY_DURATION, every socket publishes
 * PARLEY_PUBLISH_RATE messages/s to its room (total: sockets × rate
 * messages/s, each delivered to the room). The workload is lib/small-rooms.ts.
 */
import { smallRooms } from './lib/small-rooms.js';
import { ParleySocket } from './lib/socket.js';

const scenario = smallRooms('small-rooms', (options) => new ParleySocket(options));

export const { options, setup, member, teardown } = scenario;
