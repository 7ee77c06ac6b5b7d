/**
 * The SDK's session handling against a real cluster: register and login,
 * the scheduled single-flight refresh (access tokens live 10 s here, the
 * api's minimum), a 401 answered by one refresh and one retry, and the end
 * of a session: logged out elsewhere, or revoked by a reused refresh token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyClient, ParleyRequestError, SessionEndedError, type ConnectionState, type Session } from '../client/src/node.js';
import { eventually } from '../testkit/processes.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { sessionOf } from './sdk-recorder.js';

describe('client SDK: sessions', () => {
  let c: Cluster;
  const clients: ParleyClient[] = [];
  const client = (options: ConstructorParameters<typeof ParleyClient>[0] = {}) => {
    const made = new ParleyClient({ apiUrl: c.apiUrl, wsUrl: c.gatewayUrls[0]!, ...options });
    clients.push(made);
    return made;
  };
  const password = 'correct horse battery';

  before(async () => {
    c = await startCluster({ gateways: 1, env: { AUTH_ACCESS_TTL_SECONDS: '10' } });
  });
  after(async () => {
    for (const made of clients) made.disconnect();
    await c?.stop();
  });

  test('register logs in, emits the session, and typed problems come back as ParleyRequestError', async () => {
    const alice = client();
    const sessions: (Session | null)[] = [];
    alice.on('session', (s) => sessions.push(s));
    const session = await alice.register('alice', password);
    assert.equal(session.user.username, 'alice');
    assert.ok(session.accessExpiresAt > Date.now() && session.accessExpiresAt <= Date.now() + 10_000);
    assert.ok(session.refreshExpiresAt > session.accessExpiresAt);
    assert.deepEqual(sessions, [session]);
    assert.deepEqual(alice.user, session.user);

    await assert.rejects(client().register('alice', password), (err: unknown) => {
      assert.ok(err instanceof ParleyRequestError);
      assert.deepEqual([err.code, err.status, err.retryable, err.problem?.code], ['username_taken', 409, false, 'username_taken']);
      return true;
    });
    await assert.rejects(client().login('alice', 'wrong password!'), { code: 'invalid_credentials', status: 401 });
    await assert.rejects(alice.room('00000000-0000-4000-8000-00000000ffff'), { code: 'room_not_found', status: 404 });
  });

  test('the access token is refreshed before it expires, by a timer, and concurrent refreshes share one request', async () => {
    const bob = client();
    await bob.register('bob', password);
    const first = bob.session!;
    const refreshed = new Promise<Session>((resolve) => bob.on('session', (s) => s && resolve(s)));
    // 10 s tokens: the margin is half the lifetime (5 s), well under the default 60 s.
    const next = await refreshed;
    assert.notEqual(next.accessToken, first.accessToken);
    assert.notEqual(next.refreshToken, first.refreshToken);
    assert.ok(Date.now() - (first.accessExpiresAt - 10_000) < 7_000, 'refreshed about 5 s into a 10 s token');

    // Two at once would present one refresh token twice (and revoke the session) unless they share.
    const [a, b] = await Promise.all([bob.refresh(), bob.refresh()]);
    assert.equal(a.accessToken, b.accessToken);
    assert.equal((await bob.myRooms()).rooms.length, 1, 'the session still works');
  });

  test('an HTTP 401 unauthorized is answered by one refresh and one retry', async () => {
    const stale: Session = { ...sessionOf(await c.user('carol')), accessToken: 'not-a-token' };
    const resumed = client({ session: stale });
    const rooms = await resumed.myRooms();
    assert.equal(rooms.rooms.length, 1);
    assert.notEqual(resumed.session!.accessToken, 'not-a-token');
  });

  test('refused upgrades: after two in a row the token is checked over HTTP, refreshed on its 401, and the socket opens', async () => {
    const gus = await c.user('gus');
    const states: string[] = [];
    const rejected = client({
      // The token looks valid for hours, but the gateway refuses it.
      session: { ...sessionOf(gus), accessToken: 'not-a-token', accessExpiresAt: Date.now() + 3_600_000 },
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    rejected.on('state', (s, info) => states.push(s === 'reconnecting' ? `${s}:${info.attempt}` : s));
    await rejected.connect();
    assert.deepEqual(states, ['connecting', 'reconnecting:1', 'reconnecting:2', 'open']);
    assert.notEqual(rejected.session!.accessToken, 'not-a-token');
  });

  test('logout elsewhere in the same session ends it here: session_ended, state closed, no reconnect', async () => {
    const dave = client();
    await dave.register('dave', password);
    const tab = client({ session: dave.session });
    const states: ConnectionState[] = [];
    tab.on('state', (s) => states.push(s));
    const ended = new Promise<{ code: string }>((resolve) => tab.on('session_ended', resolve));
    const cleared = new Promise<Session | null>((resolve) => tab.on('session', resolve));
    await tab.connect();
    await dave.logout();
    assert.equal(dave.session, null);
    assert.equal((await ended).code, 'session_revoked');
    assert.equal(await cleared, null);
    assert.equal(tab.state, 'closed');
    assert.equal(tab.session, null);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(states, ['connecting', 'open', 'closed'], 'no reconnect after the revocation');
    await assert.rejects(tab.publish('00000000-0000-4000-8000-000000000001', 'hi'), { code: 'unauthorized' });
  });

  test('a reused refresh token revokes the session: the socket closes and the client ends it', async () => {
    const erin = client();
    await erin.register('erin', password);
    await erin.connect();
    const ended = new Promise<{ code: string }>((resolve) => erin.on('session_ended', resolve));
    // Someone replays a refresh token that was already used.
    const used = erin.session!.refreshToken;
    await erin.refresh();
    const replay = await c.post('/v1/auth/refresh', { refreshToken: used });
    assert.equal(replay.body.code, 'refresh_token_reused');
    assert.equal((await ended).code, 'session_revoked');
    assert.equal(erin.state, 'closed');
    await assert.rejects(erin.refresh(), (err: unknown) => err instanceof ParleyRequestError && err.code === 'unauthorized');
  });

  test('a refresh that fails for good ends the session with that code', async () => {
    const fay = client();
    await fay.register('fay', password);
    const dead = client({ session: { ...fay.session!, refreshToken: 'unknown-refresh-token' } });
    const ended = new Promise<{ code: string }>((resolve) => dead.on('session_ended', resolve));
    await assert.rejects(dead.refresh(), (err: unknown) => err instanceof SessionEndedError && err.code === 'refresh_token_invalid');
    assert.equal((await ended).code, 'refresh_token_invalid');
    assert.equal(dead.session, null);
    await eventually('fay to still work', async () => ((await fay.myRooms()).rooms.length === 1 ? true : undefined));
  });
});
