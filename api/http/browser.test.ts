/**
 * What browsers get from the api: CORS for the configured origins only (tus
 * included), the web client's files with their caching and CSP, and
 * /config.json. The api is built from the route fixture's dependencies with
 * browser settings of the test's own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { GLOBAL_ROOM_ID, type TokenResponse } from '../../shared/http/schemas.js';
import { testLogger } from '../../testkit/logger.js';
import { createApiFixture, assertProblem, type ApiFixture } from '../testing.js';
import { loadUploadsConfig, loadWebSettings, type WebSettings } from '../config.js';
import { createUploads, type Uploads } from '../uploads/wiring.js';
import { buildApp, type App } from './app.js';

const ALLOWED = 'https://chat.example.com';
const OTHER = 'https://evil.example.net';

const header = (res: LightMyRequestResponse, name: string): string | undefined => {
  const value = res.headers[name.toLowerCase()];
  return value === undefined ? undefined : String(value);
};
const list = (value: string | undefined): string[] => (value ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);

describe('browser-facing api', () => {
  let f: ApiFixture;
  let webDir: string;
  let uploadsDir: string;
  let uploads: Uploads;
  let app: App;
  let alice: TokenResponse;

  /** An api over the fixture's dependencies, with these browser settings and a tus server for the same origins. */
  const build = async (web: WebSettings): Promise<App> => {
    uploads?.close();
    uploads = createUploads({
      config: loadUploadsConfig({ UPLOADS_DIR: uploadsDir }),
      publisher: f.messaging.publisher,
      sql: f.sql,
      redis: f.redis,
      keys: f.keys,
      verify: f.deps.verify,
      rooms: f.deps.rooms,
      logger: testLogger(),
      trustProxy: false,
      corsOrigins: web.corsOrigins,
    });
    return buildApp(f.http, testLogger(), { ...f.deps, tus: uploads.tus, publicWsUrl: web.publicWsUrl }, { browser: web });
  };

  before(async () => {
    f = await createApiFixture();
    alice = await f.user('alice');
    uploadsDir = mkdtempSync(join(tmpdir(), 'parley-browser-uploads-'));
    webDir = mkdtempSync(join(tmpdir(), 'parley-web-'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>parley</title><script type="module" src="/assets/index-AbC123.js"></script>');
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'assets', 'index-AbC123.js'), 'console.log("hi")');
    writeFileSync(join(webDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(webDir, '.env'), 'SECRET=1');
    app = await build(loadWebSettings({ API_CORS_ORIGINS: `${ALLOWED}, http://127.0.0.1:5173`, API_WEB_DIR: webDir }));
  });
  after(async () => {
    await app?.close();
    uploads?.close();
    await f?.cleanup();
    rmSync(webDir, { recursive: true, force: true });
    rmSync(uploadsDir, { recursive: true, force: true });
  });

  describe('CORS', () => {
    test('an allowed origin gets its own origin back, the exposed headers, and no credentials', async () => {
      const res = await app.inject({ method: 'GET', url: '/v1/me', headers: { origin: ALLOWED, authorization: `Bearer ${alice.accessToken}` } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(header(res, 'access-control-allow-origin'), ALLOWED);
      assert.equal(header(res, 'access-control-allow-credentials'), undefined);
      assert.ok(list(header(res, 'vary')).includes('origin'));
      const exposed = list(header(res, 'access-control-expose-headers'));
      for (const h of ['retry-after', 'etag', 'content-disposition', 'location', 'upload-offset', 'upload-length', 'tus-resumable', 'upload-metadata']) {
        assert.ok(exposed.includes(h), `exposes ${h}: ${exposed.join(', ')}`);
      }
    });

    test('problem answers carry CORS headers too, so a browser can read the error', async () => {
      const res = await app.inject({ method: 'GET', url: '/v1/me', headers: { origin: ALLOWED } });
      assertProblem(res, 401, 'unauthorized');
      assert.equal(header(res, 'access-control-allow-origin'), ALLOWED);
    });

    test('a disallowed origin (or a near miss) gets no CORS headers', async () => {
      for (const origin of [OTHER, `${ALLOWED}:443`, 'https://chat.example.com.evil.net', 'null']) {
        const res = await app.inject({ method: 'GET', url: '/v1/me', headers: { origin, authorization: `Bearer ${alice.accessToken}` } });
        assert.equal(res.statusCode, 200);
        assert.equal(header(res, 'access-control-allow-origin'), undefined, origin);
      }
    });

    test('a preflight on an api route answers 204 with the methods and headers', async () => {
      const res = await app.inject({
        method: 'OPTIONS',
        url: '/v1/rooms/00000000-0000-4000-8000-000000000001/messages/3',
        headers: { origin: ALLOWED, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization,content-type' },
      });
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(header(res, 'access-control-allow-origin'), ALLOWED);
      assert.ok(list(header(res, 'access-control-allow-methods')).includes('patch'));
      const allowed = list(header(res, 'access-control-allow-headers'));
      assert.ok(allowed.includes('authorization') && allowed.includes('content-type'));
      assert.equal(header(res, 'access-control-max-age'), '600');
    });

    test('a preflight from a disallowed origin gets no allow-origin', async () => {
      const res = await app.inject({
        method: 'OPTIONS',
        url: '/v1/me',
        headers: { origin: OTHER, 'access-control-request-method': 'GET' },
      });
      assert.equal(header(res, 'access-control-allow-origin'), undefined);
    });

    test('a preflight for tus (creation and PATCH on an upload) allows the tus request headers', async () => {
      for (const [url, method] of [
        ['/v1/uploads', 'POST'],
        ['/v1/uploads/abc123', 'PATCH'],
        ['/v1/uploads/abc123', 'HEAD'],
        ['/v1/uploads/abc123', 'DELETE'],
      ] as const) {
        const res = await app.inject({
          method: 'OPTIONS',
          url,
          headers: {
            origin: ALLOWED,
            'access-control-request-method': method,
            'access-control-request-headers': 'authorization,tus-resumable,upload-length,upload-metadata,upload-offset,content-type',
          },
        });
        assert.equal(res.statusCode, 204, `${method} ${url}: ${res.body}`);
        assert.equal(header(res, 'access-control-allow-origin'), ALLOWED);
        assert.ok(list(header(res, 'access-control-allow-methods')).includes(method.toLowerCase()));
        const allowed = list(header(res, 'access-control-allow-headers'));
        for (const h of ['authorization', 'tus-resumable', 'upload-length', 'upload-metadata', 'upload-offset', 'content-type']) {
          assert.ok(allowed.includes(h), `${method} ${url} allows ${h}`);
        }
      }
    });

    test('tus discovery (OPTIONS without Access-Control-Request-Method) answers the tus headers, readable by an allowed origin only', async () => {
      const res = await app.inject({ method: 'OPTIONS', url: '/v1/uploads', headers: { origin: ALLOWED } });
      assert.equal(res.statusCode, 204, res.body);
      assert.equal(header(res, 'tus-version'), '1.0.0');
      assert.ok(header(res, 'tus-extension')?.includes('creation-defer-length'));
      assert.equal(header(res, 'access-control-allow-origin'), ALLOWED);
      const exposed = list(header(res, 'access-control-expose-headers'));
      for (const h of ['tus-version', 'tus-extension', 'tus-max-size', 'tus-resumable']) assert.ok(exposed.includes(h), `exposes ${h}`);
      const stranger = await app.inject({ method: 'OPTIONS', url: '/v1/uploads', headers: { origin: OTHER } });
      assert.equal(stranger.statusCode, 204);
      assert.equal(header(stranger, 'access-control-allow-origin'), undefined);
      const strangerPreflight = await app.inject({ method: 'OPTIONS', url: '/v1/uploads', headers: { origin: OTHER, 'access-control-request-method': 'POST' } });
      assertProblem(strangerPreflight, 404, 'not_found');
    });

    test('tus answers set CORS headers for an allowed origin only, exposing Location and Upload-Offset', async () => {
      const create = (origin: string) =>
        app.inject({
          method: 'POST',
          url: '/v1/uploads',
          headers: {
            origin,
            authorization: `Bearer ${alice.accessToken}`,
            'tus-resumable': '1.0.0',
            'upload-length': '5',
            'upload-metadata': `room ${Buffer.from(GLOBAL_ROOM_ID).toString('base64')},filename ${Buffer.from('a.txt').toString('base64')}`,
          },
        });
      const res = await create(ALLOWED);
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(header(res, 'access-control-allow-origin'), ALLOWED);
      const exposed = list(header(res, 'access-control-expose-headers'));
      for (const h of ['location', 'upload-offset', 'upload-length', 'tus-resumable', 'retry-after']) assert.ok(exposed.includes(h), `exposes ${h}`);
      const head = await app.inject({
        method: 'HEAD',
        url: new URL(header(res, 'location')!).pathname,
        headers: { origin: ALLOWED, authorization: `Bearer ${alice.accessToken}`, 'tus-resumable': '1.0.0' },
      });
      assert.equal(head.statusCode, 200);
      assert.equal(header(head, 'upload-offset'), '0');
      assert.equal(header(head, 'access-control-allow-origin'), ALLOWED);

      const stranger = await create(OTHER);
      assert.equal(stranger.statusCode, 201);
      assert.equal(header(stranger, 'access-control-allow-origin'), undefined);
      const none = await app.inject({ method: 'HEAD', url: new URL(header(res, 'location')!).pathname, headers: { authorization: `Bearer ${alice.accessToken}`, 'tus-resumable': '1.0.0' } });
      assert.equal(header(none, 'access-control-allow-origin'), undefined, 'no Origin, no CORS header');
    });

    test('without API_CORS_ORIGINS there are no CORS headers at all, tus included, and preflights are 404', async () => {
      const plain = await build(loadWebSettings({ API_WEB_DIR: '' }));
      try {
        const res = await plain.inject({ method: 'GET', url: '/v1/me', headers: { origin: ALLOWED, authorization: `Bearer ${alice.accessToken}` } });
        assert.equal(res.statusCode, 200);
        assert.equal(header(res, 'access-control-allow-origin'), undefined);
        const preflight = await plain.inject({ method: 'OPTIONS', url: '/v1/uploads', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } });
        assertProblem(preflight, 404, 'not_found');
        const tus = await plain.inject({
          method: 'POST',
          url: '/v1/uploads',
          headers: {
            origin: ALLOWED,
            authorization: `Bearer ${alice.accessToken}`,
            'tus-resumable': '1.0.0',
            'upload-length': '5',
            'upload-metadata': `room ${Buffer.from(GLOBAL_ROOM_ID).toString('base64')},filename ${Buffer.from('a.txt').toString('base64')}`,
          },
        });
        assert.equal(tus.statusCode, 201, tus.body);
        assert.equal(header(tus, 'access-control-allow-origin'), undefined);
        // And no web client either: `/` is the not-found problem.
        assertProblem(await plain.inject({ method: 'GET', url: '/' }), 404, 'not_found');
      } finally {
        await plain.close();
      }
    });
  });

  describe('web client', () => {
    test('/ serves index.html, no-cache, with a strict CSP whose connect-src is the configured one', async () => {
      const res = await app.inject({ method: 'GET', url: '/' });
      assert.equal(res.statusCode, 200);
      assert.match(String(header(res, 'content-type')), /^text\/html/);
      assert.match(res.body, /<title>parley<\/title>/);
      assert.equal(header(res, 'cache-control'), 'no-cache');
      assert.equal(header(res, 'x-content-type-options'), 'nosniff');
      const csp = header(res, 'content-security-policy')!;
      assert.ok(csp, 'has a CSP');
      const directives = new Map(csp.split(';').map((d) => { const [name, ...values] = d.trim().split(/\s+/); return [name!, values.join(' ')]; }));
      assert.equal(directives.get('default-src'), "'none'");
      assert.equal(directives.get('script-src'), "'self'");
      assert.equal(directives.get('style-src'), "'self'");
      assert.equal(directives.get('connect-src'), "'self' ws: wss:");
      assert.equal(directives.get('frame-ancestors'), "'none'");
      assert.ok(!csp.includes('unsafe'), 'nothing unsafe');
      const index = await app.inject({ method: 'GET', url: '/index.html' });
      assert.equal(index.statusCode, 200);
      assert.equal(header(index, 'cache-control'), 'no-cache');
    });

    test('hashed assets are immutable for a year; other files are no-cache; neither gets the HTML CSP', async () => {
      const asset = await app.inject({ method: 'GET', url: '/assets/index-AbC123.js' });
      assert.equal(asset.statusCode, 200);
      assert.match(String(header(asset, 'content-type')), /javascript/);
      assert.equal(header(asset, 'cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(header(asset, 'content-security-policy'), undefined);
      const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
      assert.equal(icon.statusCode, 200);
      assert.equal(header(icon, 'cache-control'), 'no-cache');
      const head = await app.inject({ method: 'HEAD', url: '/assets/index-AbC123.js' });
      assert.equal(head.statusCode, 200);
    });

    test('unknown paths, api ones included, still answer the problem+json 404; dotfiles and traversal are not served', async () => {
      for (const url of ['/v1/nope', '/v1/rooms/00000000-0000-4000-8000-000000000001/nope', '/docs/nope.json', '/assets/missing.js', '/nope', '/.env', '/assets/../.env', '/%2e%2e/etc/passwd']) {
        const res = await app.inject({ method: 'GET', url });
        assert.ok([404, 403].includes(res.statusCode), `${url}: ${res.statusCode}`);
        assert.match(String(header(res, 'content-type')), /^application\/problem\+json/, url);
        assert.ok(!res.body.includes('SECRET'), url);
      }
      assertProblem(await app.inject({ method: 'POST', url: '/v1/nope', payload: {} }), 404, 'not_found');
      // The api itself is untouched.
      assert.equal((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${alice.accessToken}` } })).statusCode, 200);
    });

    test('API_WEB_CONNECT_SRC sets the CSP connect-src', async () => {
      const custom = await build(loadWebSettings({ API_WEB_DIR: webDir, API_WEB_CONNECT_SRC: "'self' wss://ws.example.com" }));
      try {
        const res = await custom.inject({ method: 'GET', url: '/' });
        assert.match(String(header(res, 'content-security-policy')), /connect-src 'self' wss:\/\/ws\.example\.com(;|$)/);
      } finally {
        await custom.close();
      }
    });
  });

  describe('/config.json', () => {
    test('without API_PUBLIC_WS_URL, the gateway URL is the request origin with /v1/ws', async () => {
      const res = await app.inject({ method: 'GET', url: '/config.json', headers: { host: 'chat.example.com:8080' } });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { wsUrl: 'ws://chat.example.com:8080/v1/ws' });
      assert.equal(header(res, 'cache-control'), 'no-cache');
    });

    test('API_PUBLIC_WS_URL is given as is; behind a trusted proxy the forwarded scheme and host count', async () => {
      const fixed = await build(loadWebSettings({ API_WEB_DIR: '', API_PUBLIC_WS_URL: 'wss://ws.example.com/v1/ws' }));
      try {
        assert.deepEqual((await fixed.inject({ method: 'GET', url: '/config.json' })).json(), { wsUrl: 'wss://ws.example.com/v1/ws' });
      } finally {
        await fixed.close();
      }
      const proxied = await buildApp({ ...f.http, trustProxy: true }, testLogger(), { ...f.deps, publicWsUrl: null });
      try {
        const res = await proxied.inject({
          method: 'GET',
          url: '/config.json',
          headers: { host: 'internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example.com' },
        });
        assert.deepEqual(res.json(), { wsUrl: 'wss://chat.example.com/v1/ws' });
      } finally {
        await proxied.close();
      }
    });
  });
});
