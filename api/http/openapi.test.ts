/**
 * The OpenAPI document at /docs/json is generated from the route schemas and
 * covers every route the api registers; /docs serves the browsable UI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerRoutes } from '../routes/index.js';
import { createApiFixture, type ApiFixture } from '../testing.js';
import type { App } from './app.js';

interface Operation {
  tags?: string[];
  summary?: string;
  security?: unknown[];
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
  security: Record<string, unknown[]>[];
  paths: Record<string, Record<string, Operation>>;
}

/** Routes that do not take an access token. */
const ANONYMOUS = new Set([
  'POST /v1/auth/register',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'OPTIONS /v1/uploads',
  'GET /.well-known/jwks.json',
  'GET /config.json',
]);

describe('OpenAPI document', () => {
  let f: ApiFixture;
  let doc: OpenApiDocument;
  /** "METHOD /path/{param}" of every route registerRoutes adds, as Fastify reports them. */
  const registered: string[] = [];

  before(async () => {
    f = await createApiFixture();
    const res = await f.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200, res.body);
    doc = res.json<OpenApiDocument>();

    // Fastify's own list of routes: the same registerRoutes on a bare instance.
    const bare = Fastify().withTypeProvider<TypeBoxTypeProvider>();
    bare.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        registered.push(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
      }
    });
    registerRoutes(bare as unknown as App, f.deps);
    await bare.ready();
    // Fastify adds a HEAD route for every GET by itself; only explicit HEAD routes (tus) are documented.
    const gets = new Set(registered.filter((r) => r.startsWith('GET ')).map((r) => r.slice(4)));
    for (let i = registered.length - 1; i >= 0; i--) {
      if (registered[i]!.startsWith('HEAD ') && gets.has(registered[i]!.slice(5))) registered.splice(i, 1);
    }
    await bare.close();
  });
  after(async () => {
    await f?.cleanup();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
    );

  test('is OpenAPI 3.x with a title, a version and a bearer security scheme required by default', () => {
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.ok(doc.info.title.length > 0);
    assert.ok(doc.info.version.length > 0);
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
  });

  test('lists exactly the routes Fastify registered under /v1, with their methods', () => {
    const v1 = registered.filter((r) => r.split(' ')[1]!.startsWith('/v1/')).sort();
    assert.ok(v1.length >= 25, `only ${v1.length} routes`);
    const documented = operations()
      .map((o) => o.key)
      .filter((k) => k.split(' ')[1]!.startsWith('/v1/'))
      .sort();
    assert.deepEqual(documented, v1);
    assert.ok(!operations().some((o) => o.key.includes('/docs')), 'the docs routes document nothing');
  });

  test('every operation has tags, a summary and documented responses; anonymous ones need no token', () => {
    for (const { key, op } of operations()) {
      assert.ok(op.tags && op.tags.length > 0, `${key} has tags`);
      assert.ok(op.summary, `${key} has a summary`);
      if (ANONYMOUS.has(key)) {
        assert.deepEqual(op.security, [], `${key} is anonymous`);
      } else {
        assert.equal(op.security, undefined, `${key} uses the default bearer security`);
        assert.ok('401' in op.responses, `${key} documents 401`);
      }
      if (key.startsWith('GET /.well-known')) continue;
      assert.ok(Object.keys(op.responses).some((s) => s.startsWith('2')), `${key} documents a success`);
      assert.ok(Object.keys(op.responses).some((s) => s.startsWith('4')), `${key} documents problems`);
    }
  });

  test('request schemas come from the TypeBox definitions', () => {
    const create = doc.paths['/v1/rooms']!.post!;
    const body = (create.requestBody as { content: Record<string, { schema: { required: string[]; properties: Record<string, unknown> } }> })
      .content['application/json']!.schema;
    assert.deepEqual(body.required.sort(), ['name', 'visibility']);
    assert.deepEqual(body.properties.visibility, { enum: ['public', 'private'] });
    const kick = doc.paths['/v1/rooms/{id}/members/{userId}']!.delete!;
    assert.deepEqual(kick.parameters?.map((p) => `${p.in}:${p.name}`).sort(), ['path:id', 'path:userId']);
    const search = doc.paths['/v1/rooms/public']!.get!;
    assert.deepEqual(search.parameters?.map((p) => p.name).sort(), ['cursor', 'limit', 'q']);
  });

  test('/docs answers the browsable HTML page', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /<html/i);
  });
});
