/**
 * Settings from the environment (`k6 run -e NAME=value`, or the shell's
 * environment). Every reader takes the default that loadtest/README.md
 * documents, treats an empty value as unset, and throws at init, naming the
 * variable, when a value is set but unusable: a typo must stop the run before
 * it loads a cluster with the wrong shape.
 */
import type { Options } from 'k6/options';

function raw(name: string): string | null {
  const value = __ENV[name];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function invalid(name: string, value: string, expected: string): Error {
  return new Error(`${name}=${JSON.stringify(value)} is invalid: expected ${expected}`);
}

export function text(name: string, fallback: string): string {
  return raw(name) ?? fallback;
}

/** Text matching `pattern`; `expected` describes it in the error. */
export function matching(name: string, fallback: string, pattern: RegExp, expected: string): string {
  const value = raw(name) ?? fallback;
  if (!pattern.test(value)) throw invalid(name, value, expected);
  return value;
}

export function optionalText(name: string): string | null {
  return raw(name);
}

interface Bounds {
  min?: number;
  max?: number;
}

function bounded(name: string, value: string, n: number, bounds: Bounds, kind: string): number {
  const { min = -Infinity, max = Infinity } = bounds;
  if (!Number.isFinite(n) || n < min || n > max) {
    const range = [Number.isFinite(min) ? `≥ ${min}` : '', Number.isFinite(max) ? `≤ ${max}` : ''].filter(Boolean).join(' and ');
    throw invalid(name, value, range ? `${kind} ${range}` : kind);
  }
  return n;
}

export function integer(name: string, fallback: number, bounds: Bounds = {}): number {
  const value = raw(name);
  if (value === null) return fallback;
  if (!/^-?\d+$/.test(value)) throw invalid(name, value, 'an integer');
  return bounded(name, value, Number(value), bounds, 'an integer');
}

/** A positive number (rates, milliseconds): zero would mean "never" and is refused. */
export function positive(name: string, fallback: number, bounds: Bounds = {}): number {
  const value = raw(name);
  if (value === null) return fallback;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) === 0) throw invalid(name, value, 'a positive number');
  return bounded(name, value, Number(value), bounds, 'a positive number');
}

/** A rate or count that may be zero (zero turns something off). */
export function nonNegative(name: string, fallback: number, bounds: Bounds = {}): number {
  const value = raw(name);
  if (value === null) return fallback;
  if (!/^\d+(\.\d+)?$/.test(value)) throw invalid(name, value, 'a number ≥ 0');
  return bounded(name, value, Number(value), bounds, 'a number ≥ 0');
}

export function fraction(name: string, fallback: number): number {
  const value = raw(name);
  if (value === null) return fallback;
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(value)) throw invalid(name, value, 'a number from 0 to 1');
  return Number(value);
}

export function oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
  const value = raw(name);
  if (value === null) return fallback;
  const match = values.find((v) => v === value);
  if (match === undefined) throw invalid(name, value, `one of ${values.join(', ')}`);
  return match;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A k6-style duration (`500ms`, `30s`, `1m30s`, `2h`) in milliseconds; `minMs` as a duration string. */
export function duration(name: string, fallback: string, minMs = 0): number {
  const value = raw(name) ?? fallback;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value)) throw invalid(name, value, 'a duration such as 30s, 1m30s or 500ms');
  const parts = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  for (let part = parts.exec(value); part !== null; part = parts.exec(value)) {
    total += parseFloat(part[1]) * UNIT_MS[part[2]];
  }
  if (total < minMs) throw invalid(name, value, `at least ${minMs / 1000}s`);
  return Math.round(total);
}

/** A base URL with one of the given schemes, without its trailing slash. */
export function baseUrl(name: string, fallback: string, schemes: readonly string[]): string {
  const value = raw(name) ?? fallback;
  const scheme = /^([a-z]+):\/\/[^/?#]+(\/[^?#]*)?$/.exec(value)?.[1];
  if (scheme === undefined || !schemes.includes(scheme)) {
    throw invalid(name, value, `a URL with scheme ${schemes.join(' or ')}, without query or fragment`);
  }
  return value.replace(/\/+$/, '');
}

/** Milliseconds as a k6 duration string, for `options`. */
export function ms(n: number): string {
  return `${Math.max(0, Math.round(n))}ms`;
}

/** Username rules from shared/http/schemas.ts (3–32 characters); `-owner` and `-<index>` are appended. */
const USER_PREFIX = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,19}$/;

function userPrefix(): string {
  const value = text('PARLEY_USER_PREFIX', 'k6');
  if (!USER_PREFIX.test(value)) {
    throw invalid('PARLEY_USER_PREFIX', value, '1–20 letters, digits, _ . - (not starting with . or -)');
  }
  return value;
}

/** Settings every script shares. */
export const common = {
  apiUrl: baseUrl('PARLEY_API_URL', 'http://127.0.0.1:8080', ['http', 'https']),
  gatewayUrl: baseUrl('PARLEY_GATEWAY_URL', 'ws://127.0.0.1:8081', ['ws', 'wss']),
  tokenIn: oneOf('PARLEY_TOKEN_IN', ['protocol', 'query'] as const, 'protocol'),
  /** `on`: sockets opt in to multi-message frames (`?batch=1`, see docs/protocol.md). */
  batchFrames: oneOf('PARLEY_BATCH_FRAMES', ['off', 'on'] as const, 'off') === 'on',
  tokensFile: optionalText('PARLEY_TOKENS_FILE'),
  userPrefix: userPrefix(),
  password: text('PARLEY_PASSWORD', 'k6-load-test-password'),
  setupBatch: integer('PARLEY_SETUP_BATCH', 20, { min: 1, max: 500 }),
  bodyBytes: integer('PARLEY_BODY_BYTES', 100, { min: 1, max: 1_048_576 }),
  welcomeTimeoutMs: duration('PARLEY_WELCOME_TIMEOUT', '10s'),
  /** Unacked publishes get this long after the socket stops publishing before they count as lost. */
  ackGraceMs: duration('PARLEY_ACK_GRACE', '5s'),
  deliveryP99Ms: positive('PARLEY_DELIVERY_P99_MS', 250),
  welcomeP99Ms: positive('PARLEY_WELCOME_P99_MS', 1000),
  checksRate: fraction('PARLEY_CHECKS_RATE', 0.99),
};

if (common.password.length < 8) throw new Error('PARLEY_PASSWORD is invalid: the api requires at least 8 characters');

/**
 * Options every script shares. Registration and login each run argon2id on
 * the api, so preparing users is slow: setup() gets about half a second per
 * user (a tokens file needs only the cheap room joins) unless
 * PARLEY_SETUP_TIMEOUT says otherwise, and http.batch may send
 * PARLEY_SETUP_BATCH requests at once (k6 allows only 6 per host by default).
 */
export function baseOptions(users: number): Options {
  const perUserMs = common.tokensFile === null ? 500 : 50;
  return {
    setupTimeout: ms(duration('PARLEY_SETUP_TIMEOUT', ms(60_000 + users * perUserMs))),
    batch: common.setupBatch,
    batchPerHost: common.setupBatch,
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
  };
}
