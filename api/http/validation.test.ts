/**
 * Bodies are validated as sent, never coerced: every route with a JSON body
 * (found in the OpenAPI document, so a new route is covered without being
 * listed) refuses a value of the wrong JSON type in each of its properties
 * with `400 bad_request`, naming the property. Query strings and path
 * parameters, which are strings by nature, are still converted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Value } from 'typebox/value';
import { GLOBAL_ROOM_ID, type TokenResponse } from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, TEST_PASSWORD, type ApiFixture, type HttpMethod } from '../testing.js';

interface JsonSchema {
  type?: string;
  properties?: Record<string, object>;
}
interface Operation {
  parameters?: { in: string; name: string; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

/** Values of every JSON type; each property gets those its schema refuses. */
const CANDIDATES: unknown[] = [575304901, 1.5, true, false, null, '1', 'true', '', ['x'], [1], { a: 1 }];

describe('request validation', () => {
  let f: ApiFixture;
  let alice: TokenResponse;
  let paths: Record<string, Record<string, Operation>>;

  before(async () => {
    f = await createApiFixture();
    alice = await f.user('alice');
    const res = await f.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    paths = res.json<{ paths: typeof paths }>().paths;
  });
  after(async () => {
    await f?.cleanup();
  });

  /** Every operation with a JSON object body, its URL filled with valid path parameters. */
  const withBodies = () =>
    Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) => {
        if (!op.requestBody) return [];
        const schema = op.requestBody.content['application/json']?.schema;
        // Every body is a JSON object with named properties; a new kind would need cases of its own here.
        assert.ok(schema?.type === 'object' && schema.properties, `${method} ${path}: ${JSON.stringify(schema)}`);
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => {
          const param = op.parameters?.find((p) => p.in === 'path' && p.name === name);
          return param?.schema.type === 'integer' ? '1' : randomUUID();
        });
        return [{ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase() as HttpMethod, url, properties: schema.properties }];
      }),
    );

  const names = (res: Awaited<ReturnType<ApiFixture['call']>>) =>
    (assertProblem(res, 400, 'bad_request').errors ?? []).map((e) => e.path);

  test('every body property refuses every value of the wrong JSON type, and the answer names it', async () => {
    const routes = withBodies();
    assert.ok(routes.length >= 13, `only ${routes.length} routes with a body: ${routes.map((r) => r.key).join(', ')}`);
    let cases = 0;
    for (const route of routes) {
      for (const [property, schema] of Object.entries(route.properties)) {
        const wrong = CANDIDATES.filter((value) => !Value.Check(schema, value));
        assert.ok(wrong.length >= 3, `${route.key} ${property}: some JSON types are wrong for it`);
        for (const value of wrong) {
          const res = await f.call(alice, route.method, route.url, { [property]: value });
          const errors = names(res);
          const at = `/body/${property}`;
          assert.ok(
            errors.some((p) => p === at || p.startsWith(`${at}/`)),
            `${route.key} with ${property}=${JSON.stringify(value)}: ${res.statusCode} ${JSON.stringify(errors)}`,
          );
          cases++;
        }
      }
      // And a body that is no object at all.
      for (const body of [['x'], 'x', 1, true, null]) {
        const res = await f.app.inject({
          method: route.method,
          url: route.url,
          headers: { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
        assert.ok(names(res).includes('/body'), `${route.key} with the body ${JSON.stringify(body)}`);
      }
    }
    assert.ok(cases > 100, `${cases} cases`);
  });

  test('the cases of the issue: numbers, arrays, booleans and null are not turned into strings, nor strings into numbers', async () => {
    assert.deepEqual(names(await f.call(null, 'POST', '/v1/auth/register', { username: 575304901, password: TEST_PASSWORD })), ['/body/username']);
    assert.deepEqual(names(await f.call(null, 'POST', '/v1/auth/register', { username: ['mallory'], password: [TEST_PASSWORD] })).sort(), [
      '/body/password',
      '/body/username',
    ]);
    assert.deepEqual(names(await f.call(null, 'POST', '/v1/auth/register', { username: true, password: TEST_PASSWORD })), ['/body/username']);
    const [{ n }] = await f.sql<{ n: number }[]>`select count(*)::int as n from users where username in ('575304901', 'mallory', 'true')`;
    assert.equal(n, 0, 'none of them registered');

    assert.deepEqual(names(await f.call(null, 'POST', '/v1/auth/login', { username: 'alice', password: [TEST_PASSWORD] })), ['/body/password']);
    assert.deepEqual(names(await f.call(alice, 'PUT', `/v1/rooms/${GLOBAL_ROOM_ID}/read`, { seq: '1' })), ['/body/seq']);
    assert.deepEqual(names(await f.call(alice, 'PUT', '/v1/me/status', { text: null, away: 'true' })).sort(), ['/body/away', '/body/text']);
  });

  test('a property the schema does not allow is named', async () => {
    const res = await f.call(null, 'POST', '/v1/auth/register', { username: 'carol', password: TEST_PASSWORD, admin: true });
    const problem = assertProblem(res, 400, 'bad_request');
    assert.ok(problem.errors?.some((e) => e.path === '/body/admin' && e.message === 'is not an allowed property'), JSON.stringify(problem.errors));
  });

  test('query strings and path parameters are still converted, and defaults apply', async () => {
    const page = await f.call(alice, 'GET', `/v1/rooms/${GLOBAL_ROOM_ID}/messages?limit=5`);
    assert.equal(page.statusCode, 200, page.body);
    assert.equal((await f.call(alice, 'GET', `/v1/rooms/${GLOBAL_ROOM_ID}/messages`)).statusCode, 200, 'limit has its default');
    assert.deepEqual(names(await f.call(alice, 'GET', `/v1/rooms/${GLOBAL_ROOM_ID}/messages?limit=abc`)), ['/querystring/limit']);
    for (const inexact of ['0', '1.5', '0x10', '1e1', '', 'true', ' 5']) {
      const res = await f.call(alice, 'GET', `/v1/rooms/${GLOBAL_ROOM_ID}/messages?limit=${encodeURIComponent(inexact)}`);
      assert.deepEqual(names(res), ['/querystring/limit'], `?limit=${inexact} is no integer from 1 to 100`);
    }
    assert.deepEqual(names(await f.call(alice, 'GET', '/v1/rooms/not-a-uuid')), ['/params/id']);
    const one = await f.call(alice, 'GET', `/v1/presence?user=${alice.user.id}`);
    assert.equal(one.statusCode, 200, `a single repeated parameter is an array of one: ${one.body}`);
  });
});
