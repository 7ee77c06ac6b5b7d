/**
 * Where the load's users and their access tokens come from:
 * - by default setup() registers `<prefix>-0` … `<prefix>-<n-1>` and
 *   `<prefix>-owner` (PARLEY_USER_PREFIX) and logs them in. An existing
 *   username is logged in instead, so a second run reuses the accounts. Both
 *   calls run argon2id on the api: fine for hundreds of users, slow for
 *   thousands;
 * - with PARLEY_TOKENS_FILE, access tokens are read from a file, one a line
 *   (blank lines and `#` comments skipped): the first line is the owner of the
 *   rooms the script creates, the next lines are the users.
 */
import { SharedArray } from 'k6/data';
import { b64decode } from 'k6/encoding';
import { fail } from 'k6';
import type { Credentials } from '../../../shared/http/schemas.js';
import { batched, failWith, loginRequest, problemCode, registerRequest, tokenOf } from './api.js';
import { common } from './config.js';

export interface Users {
  /** Access tokens of the users, or null when they are in PARLEY_TOKENS_FILE (read them with tokenAt). */
  tokens: string[] | null;
  count: number;
  /** Creates the run's rooms and deletes them at teardown; holds no socket. */
  owner: { token: string; username: string | null };
}

function parseTokens(content: string): string[] {
  return content
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const tokensFile = common.tokensFile;
/**
 * Read in the init context (the only place `open` works) and shared by every
 * VU: setup() data, by contrast, is copied into each VU, which for thousands
 * of tokens and VUs costs gigabytes.
 */
const fileTokens: string[] | null =
  tokensFile === null ? null : new SharedArray('parley-tokens', () => parseTokens(open(tokensFile)));

/** The token of user `index`; users are reused round-robin when there are more sockets than users. */
export function tokenAt(users: Users, index: number): string {
  const i = index % users.count;
  return users.tokens !== null ? users.tokens[i] : (fileTokens as string[])[i + 1];
}

function credentials(username: string): Credentials {
  return { username, password: common.password };
}

export function login(username: string): string {
  const [res] = batched([loginRequest(credentials(username))]);
  return tokenOf(res, `log in ${username}`);
}

function registerAndLogIn(usernames: string[]): string[] {
  const started = Date.now();
  const registered = batched(usernames.map((u) => registerRequest(credentials(u))));
  registered.forEach((res, i) => {
    if (res.status !== 201 && problemCode(res) !== 'username_taken') failWith(`register ${usernames[i]}`, res);
  });
  const tokens = batched(usernames.map((u) => loginRequest(credentials(u)))).map((res, i) =>
    tokenOf(res, `log in ${usernames[i]} (an existing user with another password? set PARLEY_USER_PREFIX)`),
  );
  console.info(`parley: ${usernames.length} users registered and logged in in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return tokens;
}

/** Seconds since the epoch at which a JWT expires, or null if it carries no readable `exp`. */
function expiryOf(token: string): number | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const exp = (JSON.parse(b64decode(payload, 'rawurl', 's')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : null;
  } catch {
    return null;
  }
}

/**
 * Sockets authenticate only when they open (an open socket outlives its
 * token), but reconnects and the connect storm open sockets until the end:
 * tokens that expire before then make the run fail for the wrong reason.
 */
function checkExpiry(token: string, runMs: number, source: string): void {
  const exp = expiryOf(token);
  if (exp === null) return;
  const left = exp * 1000 - Date.now();
  if (left <= 0) fail(`the access tokens from ${source} have expired`);
  if (left < runMs) {
    console.warn(
      `parley: the access tokens from ${source} expire in ${Math.round(left / 1000)}s, before the run ends ` +
        `(${Math.round(runMs / 1000)}s): sockets opened after that are refused. Raise AUTH_ACCESS_TTL_SECONDS on the api.`,
    );
  }
}

/** Runs in setup(): `count` users (plus the owner), with tokens valid for `runMs` if possible. */
export function provisionUsers(count: number, runMs: number): Users {
  if (fileTokens !== null) {
    if (fileTokens.length < count + 1) {
      fail(`PARLEY_TOKENS_FILE has ${fileTokens.length} tokens; this run needs ${count + 1} (the owner, then ${count} users)`);
    }
    checkExpiry(fileTokens[1] ?? fileTokens[0], runMs, 'PARLEY_TOKENS_FILE');
    return { tokens: null, count, owner: { token: fileTokens[0], username: null } };
  }
  const prefix = common.userPrefix;
  const ownerName = `${prefix}-owner`;
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const [ownerToken, ...tokens] = registerAndLogIn([ownerName, ...names]);
  checkExpiry(ownerToken, runMs, 'the api');
  return { tokens, count, owner: { token: ownerToken, username: ownerName } };
}
