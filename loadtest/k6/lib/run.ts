/**
 * What setup() prepares and teardown() removes: the users, and public rooms
 * named after the run, owned by the owner account (which never connects, so
 * it receives nothing). Rooms are deleted at the end so that reused accounts
 * do not pile up memberships, which would make every later `welcome` slower.
 */
import { batched, createRoomRequest, deleteRoomRequest, failWith, joinRoomRequest, problemCode, roomOf } from './api.js';
import { login, provisionUsers, tokenAt, type Users } from './users.js';

export interface RoomPlan {
  /** Appended to the room name (`k6 <run> <label>`), for people browsing the deployment during the run. */
  label: string;
  /** Indices of the users who join (0 … users − 1). */
  members: number[];
}

export interface RunData {
  /** Unique per run: marks message bodies, cmids and room names. */
  run: string;
  users: Users;
  /** Room ids, in the order of the plans. */
  rooms: string[];
}

function newRunId(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}

/** Runs in setup(). `runMs` is how long the scenarios open sockets, for the token expiry warning. */
export function prepareRun(users: number, runMs: number, plans: RoomPlan[]): RunData {
  const run = newRunId();
  const provisioned = provisionUsers(users, runMs);
  const owner = provisioned.owner.token;
  const rooms = batched(plans.map((p) => createRoomRequest(owner, { name: `k6 ${run} ${p.label}`, visibility: 'public' }))).map(
    (res, i) => roomOf(res, `create room ${plans[i].label}`),
  );
  const joins = plans.flatMap((plan, r) => plan.members.map((member) => ({ member, room: rooms[r] })));
  batched(joins.map((j) => joinRoomRequest(tokenAt(provisioned, j.member), j.room))).forEach((res, i) => {
    if (res.status !== 200 && problemCode(res) !== 'already_member') failWith(`user ${joins[i].member} joins ${joins[i].room}`, res);
  });
  console.info(`parley: run ${run}: ${rooms.length} rooms, ${joins.length} memberships`);
  return { run, users: provisioned, rooms };
}

/**
 * Runs in teardown(). The owner's access token may have expired during a long
 * run: an owner created by setup() logs in again; for a tokens-file owner the
 * leftover rooms are listed so they can be deleted by hand.
 */
export function finishRun(data: RunData): void {
  const { owner } = data.users;
  let token = owner.token;
  let results = batched(data.rooms.map((room) => deleteRoomRequest(token, room)));
  if (owner.username !== null && results.some((res) => res.status === 401)) {
    token = login(owner.username);
    results = batched(data.rooms.map((room) => deleteRoomRequest(token, room)));
  }
  const left = data.rooms.filter((_, i) => results[i].status !== 204 && results[i].status !== 404);
  if (left.length > 0) {
    console.warn(`parley: could not delete ${left.length} rooms of run ${data.run} (${results.find((r) => r.status !== 204)?.status}): ${left.join(' ')}`);
  }
}
