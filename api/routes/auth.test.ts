/**
 * Account and session routes over real Postgres and Redis: register, login,
 * refresh (rotation and reuse detection), logout, /v1/me and the JWKS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK, type JSONWebKeySet } from 'jose';
import type { Static } from 'typebox';
import { decodeControlEvent, type ControlEvent } from '../../shared/broker/control.js';
import { GLOBAL_ROOM_ID, type MeResponse, type Problem, type TokenResponse } from '../../shared/http/schemas.js';
import { generateSigningJwk } from '../auth/keys.js';
import { TEST_PASSWORD, assertProblem, createApiFixture, type ApiFixture } from '../testing.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('auth routes', () => {
  let f: ApiFixture;

  before(async () => {
    f = await createApiFixture();
  });
  after(async () => {
    await f?.cleanup();
  });

  const post = (url: string, payload?: unknown, token?: string) => {
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    return f.app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  };
  const me = (token: string) => f.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });

  describe('POST /v1/auth/register', () => {
    test('creates the account (201) and makes the user a member of the global room', async () => {
      const res = await post('/v1/auth/register', { username: 'alice', password: TEST_PASSWORD });
      assert.equal(res.statusCode, 201, res.body);
      const { user } = res.json<{ user: Record<string, unknown> }>();
      assert.deepEqual(Object.keys(user).sort(), ['createdAt', 'id', 'username'], 'no password hash leaves the api');
      assert.match(String(user.id), UUID);
      assert.equal(user.username, 'alice');
      assert.ok(!Number.isNaN(Date.parse(String(user.createdAt))));

      const members = await f.sql<{ room_id: string; role: string }[]>`
        select room_id, role from room_members where user_id = ${String(user.id)}
      `;
      assert.deepEqual(members.map((m) => ({ ...m })), [{ room_id: GLOBAL_ROOM_ID, role: 'member' }]);
      const [stored] = await f.sql<{ password_hash: string }[]>`select password_hash from users where id = ${String(user.id)}`;
      assert.ok(stored!.password_hash.startsWith('$argon2id$'), 'the password is stored as an argon2id hash');
    });

    test('a taken username is refused with 409 username_taken, regardless of case', async () => {
      await f.register('bob');
      for (const username of ['bob', 'BOB', 'Bob']) {
        assertProblem(await post('/v1/auth/register', { username, password: TEST_PASSWORD }), 409, 'username_taken');
      }
      const [row] = await f.sql<{ n: number }[]>`select count(*)::int as n from users where lower(username) = 'bob'`;
      assert.equal(row!.n, 1);
    });

    const invalid: [string, unknown][] = [
      ['username with a space', { username: 'bad name', password: TEST_PASSWORD }],
      ['username with a non-ASCII letter', { username: 'zoë', password: TEST_PASSWORD }],
      ['username starting with a dot', { username: '.dotty', password: TEST_PASSWORD }],
      ['username starting with a dash', { username: '-dash', password: TEST_PASSWORD }],
      ['username too short', { username: 'ab', password: TEST_PASSWORD }],
      ['username too long', { username: 'a'.repeat(33), password: TEST_PASSWORD }],
      ['password too short', { username: 'carol', password: 'short' }],
      ['password too long', { username: 'carol', password: 'p'.repeat(257) }],
      ['missing password', { username: 'carol' }],
      ['username not a string', { username: 42, password: TEST_PASSWORD }],
      ['extra property', { username: 'carol', password: TEST_PASSWORD, admin: true }],
      ['array body', [{ username: 'carol', password: TEST_PASSWORD }]],
    ];
    for (const [name, payload] of invalid) {
      test(`400 bad_request: ${name}`, async () => {
        const body = assertProblem(await post('/v1/auth/register', payload), 400, 'bad_request');
        assert.ok(body.errors && body.errors.length > 0, 'validation problems are listed');
        assert.equal(body.instance, '/v1/auth/register');
      });
    }

    test('every validation problem is reported at once', async () => {
      const body = assertProblem(await post('/v1/auth/register', { username: 'ab', password: 'short' }), 400, 'bad_request');
      const paths = (body.errors ?? []).map((e) => e.path);
      assert.ok(paths.some((p) => p.endsWith('/username')), paths.join());
      assert.ok(paths.some((p) => p.endsWith('/password')), paths.join());
    });

    test('the boundary lengths are accepted', async () => {
      await f.register('abc');
      await f.register(`a${'_'.repeat(31)}`);
      await f.register('x.y-z', 'p'.repeat(8));
    });

    test('a body that is not JSON is 400 bad_request', async () => {
      const res = await f.app.inject({
        method: 'POST',
        url: '/v1/auth/register',
        headers: { 'content-type': 'application/json' },
        payload: '{"username": "carol", ',
      });
      assertProblem(res, 400, 'bad_request');
    });

    test('an empty JSON body is 400 bad_request', async () => {
      const res = await f.app.inject({
        method: 'POST',
        url: '/v1/auth/register',
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      assertProblem(res, 400, 'bad_request');
    });

    for (const contentType of ['application/x-www-form-urlencoded', 'application/xml', 'text/plain']) {
      test(`a ${contentType} body is 415 unsupported_media_type`, async () => {
        const res = await f.app.inject({
          method: 'POST',
          url: '/v1/auth/register',
          headers: { 'content-type': contentType },
          payload: `username=carol&password=${TEST_PASSWORD}`,
        });
        assertProblem(res, 415, 'unsupported_media_type');
      });
    }

    test('a body over the configured limit is 413 payload_too_large, and nothing is created', async () => {
      const payload = JSON.stringify({ username: 'bigbody', password: 'p'.repeat(f.http.bodyLimitBytes) });
      const res = await f.app.inject({
        method: 'POST',
        url: '/v1/auth/register',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assertProblem(res, 413, 'payload_too_large');
      const rows = await f.sql`select 1 from users where username = 'bigbody'`;
      assert.equal(rows.length, 0);
    });
  });

  describe('POST /v1/auth/login', () => {
    let user: Static<typeof MeResponse>['user'];
    before(async () => {
      user = await f.register('dave');
    });

    test('answers 200 with an access token, a refresh token and the user', async () => {
      const res = await post('/v1/auth/login', { username: 'dave', password: TEST_PASSWORD });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<TokenResponse>();
      assert.equal(body.tokenType, 'Bearer');
      assert.equal(body.expiresIn, f.auth.accessTtlSeconds);
      assert.equal(body.refreshExpiresIn, f.auth.refreshTtlSeconds);
      assert.deepEqual(body.user, user);
      assert.ok(body.refreshToken.length >= 43, 'the refresh token carries at least 256 bits');
      assert.notEqual(body.refreshToken, body.accessToken);

      const header = decodeProtectedHeader(body.accessToken);
      assert.equal(header.alg, 'EdDSA');
      assert.equal(header.kid, f.signingKeys.signer.kid);
      const claims = decodeJwt(body.accessToken);
      assert.equal(claims.iss, f.auth.issuer);
      assert.equal(claims.aud, f.auth.audience);
      assert.equal(claims.sub, user.id);
      assert.equal(claims.name, 'dave');
      assert.match(String(claims.sid), UUID);
      assert.equal(typeof claims.exp, 'number');
      assert.equal(typeof claims.iat, 'number');
      assert.equal(claims.exp! - claims.iat!, f.auth.accessTtlSeconds);

      const [session] = await f.sql<{ user_id: string; revoked_at: Date | null }[]>`
        select user_id, revoked_at from sessions where id = ${String(claims.sid)}
      `;
      assert.deepEqual({ ...session }, { user_id: user.id, revoked_at: null });
    });

    test('the username is matched without regard to case', async () => {
      const res = await post('/v1/auth/login', { username: 'DAVE', password: TEST_PASSWORD });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json<TokenResponse>().user.username, 'dave');
    });

    test('a wrong password and an unknown user get the same 401 invalid_credentials', async () => {
      const wrong = assertProblem(await post('/v1/auth/login', { username: 'dave', password: 'not the password' }), 401, 'invalid_credentials');
      const unknown = assertProblem(await post('/v1/auth/login', { username: 'nobody', password: TEST_PASSWORD }), 401, 'invalid_credentials');
      const strip = ({ instance: _instance, ...rest }: Problem) => rest;
      assert.deepEqual(strip(wrong), strip(unknown), 'the answer must not reveal which usernames exist');
    });

    test('a malformed body is 400 bad_request, not a credential check', async () => {
      assertProblem(await post('/v1/auth/login', { username: 'dave' }), 400, 'bad_request');
    });
  });

  describe('POST /v1/auth/refresh', () => {
    before(async () => {
      await f.register('erin');
    });

    test('rotates: a new refresh token and a new access token for the same session', async () => {
      const first = await f.login('erin');
      const res = await post('/v1/auth/refresh', { refreshToken: first.refreshToken });
      assert.equal(res.statusCode, 200, res.body);
      const second = res.json<TokenResponse>();
      assert.equal(second.tokenType, 'Bearer');
      assert.notEqual(second.refreshToken, first.refreshToken);
      assert.notEqual(second.accessToken, first.accessToken);
      assert.deepEqual(second.user, first.user);
      assert.equal(decodeJwt(second.accessToken).sid, decodeJwt(first.accessToken).sid);

      const meRes = await me(second.accessToken);
      assert.equal(meRes.statusCode, 200, meRes.body);
      assert.equal(meRes.json<Static<typeof MeResponse>>().sessionId, decodeJwt(first.accessToken).sid);

      // The rotated token keeps rotating.
      const third = await post('/v1/auth/refresh', { refreshToken: second.refreshToken });
      assert.equal(third.statusCode, 200, third.body);
    });

    test('reusing a rotated token is 401 refresh_token_reused and revokes the session everywhere', async () => {
      const first = await f.login('erin');
      const sessionId = String(decodeJwt(first.accessToken).sid);
      const rotated = await post('/v1/auth/refresh', { refreshToken: first.refreshToken });
      assert.equal(rotated.statusCode, 200, rotated.body);
      const second = rotated.json<TokenResponse>();

      const subscriber = new Redis(f.testRedis.config.url);
      try {
        await subscriber.ssubscribe(f.keys.controlChannel());
        const received = once(subscriber, 'smessage') as Promise<[string, string]>;

        assertProblem(await post('/v1/auth/refresh', { refreshToken: first.refreshToken }), 401, 'refresh_token_reused');

        const [channel, payload] = await received;
        assert.equal(channel, f.keys.controlChannel());
        const event: ControlEvent | null = decodeControlEvent(payload);
        assert.deepEqual(event, { type: 'session_revoked', sessionId, reason: 'refresh_token_reused' });
      } finally {
        subscriber.disconnect();
      }

      const revokedKey = f.keys.revokedSession(sessionId);
      assert.equal(await f.redis.exists(revokedKey), 1);
      assert.equal(await f.redis.get(revokedKey), 'refresh_token_reused');
      const ttl = await f.redis.ttl(revokedKey);
      assert.ok(ttl >= f.auth.accessTtlSeconds, `the key outlives every access token of the session (ttl ${ttl})`);

      const [session] = await f.sql<{ revoked_at: Date | null; revoked_reason: string | null }[]>`
        select revoked_at, revoked_reason from sessions where id = ${sessionId}
      `;
      assert.ok(session!.revoked_at instanceof Date);
      assert.equal(session!.revoked_reason, 'refresh_token_reused');

      // The legitimate holder's newer tokens die with the session.
      assertProblem(await post('/v1/auth/refresh', { refreshToken: second.refreshToken }), 401, 'refresh_token_invalid');
      assertProblem(await me(second.accessToken), 401, 'session_revoked');
      assertProblem(await me(first.accessToken), 401, 'session_revoked');
    });

    test('a session revoked by reuse does not affect the user\'s other sessions', async () => {
      const other = await f.login('erin');
      const victim = await f.login('erin');
      await post('/v1/auth/refresh', { refreshToken: victim.refreshToken });
      assertProblem(await post('/v1/auth/refresh', { refreshToken: victim.refreshToken }), 401, 'refresh_token_reused');
      assert.equal((await me(other.accessToken)).statusCode, 200);
      assert.equal((await post('/v1/auth/refresh', { refreshToken: other.refreshToken })).statusCode, 200);
    });

    test('an unknown refresh token is 401 refresh_token_invalid', async () => {
      assertProblem(await post('/v1/auth/refresh', { refreshToken: 'garbage' }), 401, 'refresh_token_invalid');
      const lookalike = Buffer.alloc(32, 7).toString('base64url');
      assertProblem(await post('/v1/auth/refresh', { refreshToken: lookalike }), 401, 'refresh_token_invalid');
    });

    test('an empty or oversized refresh token, or an extra property, is 400 bad_request', async () => {
      assertProblem(await post('/v1/auth/refresh', { refreshToken: '' }), 400, 'bad_request');
      assertProblem(await post('/v1/auth/refresh', { refreshToken: 'x'.repeat(513) }), 400, 'bad_request');
      assertProblem(await post('/v1/auth/refresh', {}), 400, 'bad_request');
      const { refreshToken } = await f.login('erin');
      assertProblem(await post('/v1/auth/refresh', { refreshToken, extra: 1 }), 400, 'bad_request');
      // The rejected request must not have consumed the token.
      assert.equal((await post('/v1/auth/refresh', { refreshToken })).statusCode, 200);
    });
  });

  describe('POST /v1/auth/logout', () => {
    before(async () => {
      await f.register('frank');
    });

    test('answers 204 and ends the session: access and refresh tokens stop working', async () => {
      const tokens = await f.login('frank');
      const sessionId = String(decodeJwt(tokens.accessToken).sid);
      const res = await post('/v1/auth/logout', undefined, tokens.accessToken);
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(res.body, '');

      assertProblem(await me(tokens.accessToken), 401, 'session_revoked');
      assertProblem(await post('/v1/auth/refresh', { refreshToken: tokens.refreshToken }), 401, 'refresh_token_invalid');
      assert.equal(await f.redis.get(f.keys.revokedSession(sessionId)), 'logout');
      const [session] = await f.sql<{ revoked_reason: string | null }[]>`select revoked_reason from sessions where id = ${sessionId}`;
      assert.equal(session!.revoked_reason, 'logout');
    });

    test('logging out again with the same token is 401 session_revoked', async () => {
      const tokens = await f.login('frank');
      assert.equal((await post('/v1/auth/logout', undefined, tokens.accessToken)).statusCode, 204);
      assertProblem(await post('/v1/auth/logout', undefined, tokens.accessToken), 401, 'session_revoked');
    });

    test('without a token it is 401 unauthorized', async () => {
      assertProblem(await post('/v1/auth/logout'), 401, 'unauthorized');
    });

    for (const authorization of ['Basic ZnJhbms6cHc=', 'Bearer', 'Bearer ', 'Bearer a b', 'Bearer not.a.jwt', 'Token abc']) {
      test(`a malformed Authorization header (${JSON.stringify(authorization)}) is 401 unauthorized`, async () => {
        const res = await f.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { authorization } });
        assertProblem(res, 401, 'unauthorized');
      });
    }
  });

  describe('GET /v1/me', () => {
    test('answers 200 with the user, the session id and the global room id', async () => {
      const user = await f.register('grace');
      const tokens = await f.login('grace');
      const res = await me(tokens.accessToken);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json<Static<typeof MeResponse>>(), {
        user,
        sessionId: decodeJwt(tokens.accessToken).sid,
        globalRoomId: GLOBAL_ROOM_ID,
      });
    });

    test('the scheme name is case-insensitive', async () => {
      const tokens = await f.login('grace');
      const res = await f.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `bearer ${tokens.accessToken}` } });
      assert.equal(res.statusCode, 200, res.body);
    });

    test('without a token it is 401 unauthorized', async () => {
      assertProblem(await f.app.inject({ method: 'GET', url: '/v1/me' }), 401, 'unauthorized');
    });

    test('a token signed by a key the api does not hold is 401 unauthorized', async () => {
      const foreign = await generateSigningJwk();
      const claims = decodeJwt((await f.login('grace')).accessToken);
      const forged = await new SignJWT({ sid: claims.sid, name: claims.name })
        .setProtectedHeader({ alg: 'EdDSA', kid: f.signingKeys.signer.kid })
        .setSubject(String(claims.sub))
        .setIssuer(f.auth.issuer)
        .setAudience(f.auth.audience)
        .setExpirationTime('5m')
        .sign(await importJWK(foreign, 'EdDSA'));
      assertProblem(await me(forged), 401, 'unauthorized');
    });

    test('a token for another audience is 401 unauthorized', async () => {
      const claims = decodeJwt((await f.login('grace')).accessToken);
      const token = await new SignJWT({ sid: claims.sid, name: claims.name })
        .setProtectedHeader({ alg: 'EdDSA', kid: f.signingKeys.signer.kid })
        .setSubject(String(claims.sub))
        .setIssuer(f.auth.issuer)
        .setAudience('someone-else')
        .setExpirationTime('5m')
        .sign(f.signingKeys.signer.key);
      assertProblem(await me(token), 401, 'unauthorized');
    });
  });

  describe('GET /.well-known/jwks.json', () => {
    test('serves the public keys only, cacheably, with the kid tokens carry', async () => {
      const res = await f.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.headers['cache-control'], 'public, max-age=300');
      const jwks = res.json<JSONWebKeySet>();
      assert.equal(jwks.keys.length, 1);
      for (const key of jwks.keys) {
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
          assert.ok(!(member in key), `private member ${member} must not be published`);
        }
        assert.equal(key.kty, 'OKP');
        assert.equal(key.crv, 'Ed25519');
        assert.equal(key.alg, 'EdDSA');
        assert.equal(key.use, 'sig');
        assert.equal(typeof key.x, 'string');
      }
      await f.register('heidi');
      const { accessToken } = await f.login('heidi');
      assert.deepEqual(jwks.keys.map((k) => k.kid), [decodeProtectedHeader(accessToken).kid]);
    });
  });

  describe('unknown routes', () => {
    test('an unknown path is a 404 not_found problem', async () => {
      const body = assertProblem(await f.app.inject({ method: 'GET', url: '/v1/nope?x=1' }), 404, 'not_found');
      assert.ok(body.detail.includes('/v1/nope'));
      assert.ok(!body.detail.includes('x=1'), 'query strings stay out of the detail');
    });

    test('a known path with the wrong method is a 404 not_found problem', async () => {
      assertProblem(await f.app.inject({ method: 'GET', url: '/v1/auth/login' }), 404, 'not_found');
    });
  });
});
