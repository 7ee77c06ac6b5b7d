/**
 * The HTTP api under load, while people chat: what users hit besides the
 * WebSocket, and the bench does not. PARLEY_USERS users, all members of
 * PARLEY_ROOMS rooms. Scenarios, each at its own arrival rate (per second;
 * 0 turns one off), for PARLEY_DURATION after PARLEY_WARMUP:
 * - `writers`: PARLEY_WRITERS sockets publish PARLEY_WRITE_RATE messages/s
 *   each, from the start, so history and search have something to read;
 * - `logins`: POST /v1/auth/login (argon2id on the api) at PARLEY_LOGIN_RATE;
 * - `history`: PARLEY_HISTORY_PAGES pages of a room's history at PARLEY_HISTORY_RATE;
 * - `searches`: full-text search for the run's messages at PARLEY_SEARCH_RATE;
 * - `uploads`: tus uploads of PARLEY_UPLOAD_BYTES in PATCHes of
 *   PARLEY_UPLOAD_CHUNK at PARLEY_UPLOAD_RATE; each becomes a `file` message.
 * Thresholds: failed requests, p95 latency per route, no 429, and checks.
 */
import exec from 'k6/execution';
import type { Options, Scenario } from 'k6/options';
import { baseOptions, common, duration, integer, ms, nonNegative, positive } from './lib/config.js';
import { ROUTES, logIn, readHistory, search, upload } from './lib/http-load.js';
import { mayConnect, scenarioEnd } from './lib/lifetime.js';
import { thresholds } from './lib/metrics.js';
import { finishRun, prepareRun, type RunData } from './lib/run.js';
import { ParleySocket } from './lib/socket.js';
import { tokenAt } from './lib/users.js';

const users = integer('PARLEY_USERS', 50, { min: 1 });
const rooms = integer('PARLEY_ROOMS', 5, { min: 1 });
const warmupMs = duration('PARLEY_WARMUP', '15s');
const holdMs = duration('PARLEY_DURATION', '2m', 1000);
const writers = integer('PARLEY_WRITERS', 10, { min: 0 });
const writeRate = positive('PARLEY_WRITE_RATE', 1);
const rates = {
  logins: nonNegative('PARLEY_LOGIN_RATE', 2),
  history: nonNegative('PARLEY_HISTORY_RATE', 20),
  searches: nonNegative('PARLEY_SEARCH_RATE', 5),
  uploads: nonNegative('PARLEY_UPLOAD_RATE', 1),
};
const historyPages = integer('PARLEY_HISTORY_PAGES', 3, { min: 1, max: 100 });
const uploadBytes = integer('PARLEY_UPLOAD_BYTES', 65_536, { min: 1 });
const uploadChunk = integer('PARLEY_UPLOAD_CHUNK', 32_768, { min: 1 });
const p95 = {
  login: positive('PARLEY_LOGIN_P95_MS', 1000),
  read: positive('PARLEY_READ_P95_MS', 300),
  search: positive('PARLEY_SEARCH_P95_MS', 500),
  upload: positive('PARLEY_UPLOAD_P95_MS', 1000),
};
const failedRate = positive('PARLEY_HTTP_FAILED_RATE', 0.01, { max: 1 });

if (common.tokensFile !== null && rates.logins > 0) {
  throw new Error('PARLEY_LOGIN_RATE needs the users setup() registers (their passwords): set it to 0 with PARLEY_TOKENS_FILE');
}
if (writers > users) throw new Error(`PARLEY_WRITERS (${writers}) cannot exceed PARLEY_USERS (${users})`);

const runMs = warmupMs + holdMs;
const gracefulStop = ms(common.ackGraceMs + 10_000);

/** An arrival-rate scenario for `rate` iterations per second, after the warmup; none for rate 0. */
function arrivals(execName: string, rate: number): Record<string, Scenario> {
  if (rate === 0) return {};
  const perMinute = Math.max(1, Math.round(rate * 60));
  return {
    [execName]: {
      executor: 'constant-arrival-rate',
      exec: execName,
      rate: perMinute,
      timeUnit: '1m',
      startTime: ms(warmupMs),
      duration: ms(holdMs),
      preAllocatedVUs: Math.ceil(rate * 2) + 1,
      maxVUs: Math.ceil(rate * 10) + 5,
      gracefulStop,
    },
  };
}

/** p95 thresholds on the routes of the scenarios that run. */
function routeThresholds(): Record<string, string[]> {
  const on = (route: string, limit: number) => ({ [`http_req_duration{name:${route}}`]: [`p(95)<${limit}`] });
  return {
    ...(rates.logins > 0 ? on(ROUTES.login, p95.login) : {}),
    ...(rates.history > 0 ? on(ROUTES.history, p95.read) : {}),
    ...(rates.searches > 0 ? on(ROUTES.search, p95.search) : {}),
    ...(rates.uploads > 0 ? { ...on(ROUTES.uploadCreate, p95.upload), ...on(ROUTES.uploadPatch, p95.upload) } : {}),
  };
}

export const options: Options = {
  ...baseOptions(users),
  scenarios: {
    ...(writers > 0
      ? { writers: { executor: 'constant-vus', exec: 'writer', vus: writers, duration: ms(runMs), gracefulStop } satisfies Scenario }
      : {}),
    ...arrivals('logins', rates.logins),
    ...arrivals('history', rates.history),
    ...arrivals('searches', rates.searches),
    ...arrivals('uploads', rates.uploads),
  },
  thresholds: {
    checks: thresholds.checks,
    http_req_failed: [`rate<${failedRate}`],
    parley_http_rate_limited: ['count==0'],
    ...(writers > 0 ? thresholds.delivery : {}),
    ...routeThresholds(),
  },
};

export function setup(): RunData {
  const everyone = Array.from({ length: users }, (_, i) => i);
  const plans = Array.from({ length: rooms }, (_, r) => ({ label: `api room ${r}`, members: everyone }));
  return prepareRun(users, runMs, plans);
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const anyUser = (data: RunData) => tokenAt(data.users, Math.floor(Math.random() * users));

/** One socket per writer VU for the whole run, publishing bodies that carry the run id (what `searches` looks for). */
export function writer(data: RunData): void {
  const end = scenarioEnd(runMs);
  if (!mayConnect(end)) return;
  const index = (exec.vu.idInTest - 1) % writers;
  const room = data.rooms[index % data.rooms.length]!;
  const intervalMs = 1000 / writeRate;
  const socket = new ParleySocket({
    token: tokenAt(data.users, index),
    run: data.run,
    rooms: [room],
    onWelcome: () => socket.publishEvery(room, intervalMs, Math.random() * intervalMs),
  });
  socket.stopAt(end);
}

export function logins(): void {
  logIn(`${common.userPrefix}-${Math.floor(Math.random() * users)}`, common.password);
}

export function history(data: RunData): void {
  readHistory(anyUser(data), pick(data.rooms), historyPages, 50);
}

/** Half the searches span every room of the user, half one room. */
export function searches(data: RunData): void {
  search(anyUser(data), data.run, Math.random() < 0.5 ? null : pick(data.rooms));
}

export function uploads(data: RunData): void {
  upload(anyUser(data), pick(data.rooms), `k6-${data.run}-${exec.scenario.iterationInTest}.txt`, uploadBytes, uploadChunk);
}

export function teardown(data: RunData): void {
  finishRun(data);
}
