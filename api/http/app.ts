/**
 * The api's HTTP application. Routes are one module each under routes/;
 * this file only builds the Fastify instance and registers them.
 */
import Fastify, { type FastifyInstance, type FastifyBaseLogger, type RawServerDefault } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/log.js';
import type { HttpConfig, WebSettings } from '../config.js';
import { registerCors } from './cors.js';
import { registerWebClient } from './web-client.js';
import { errorHandler, sendProblem } from './problem.js';
import { problem } from '../../shared/http/problem.js';
import type { RouteDeps } from '../routes/deps.js';
import { registerRoutes } from '../routes/index.js';
import type { Registry } from 'prom-client';
import { instrument } from '../metrics.js';
import { validatorCompiler } from './validation.js';
import { registerRateLimits, type RateLimitSettings } from './rate-limit.js';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * The OpenAPI 3.1 document served at /docs/json (browsable at /docs), built
 * from the same TypeBox schemas the routes validate with. Every route needs a
 * bearer access token unless its schema says `security: []`.
 */
const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'parley HTTP api',
    version: '1.0.0',
    description:
      'Accounts, sessions, rooms, membership, history, search, read positions, announcements and presence. Errors are RFC 9457 problem+json bodies with a stable `code`.',
  },
  components: {
    securitySchemes: { bearerAuth: { type: 'http' as const, scheme: 'bearer', bearerFormat: 'JWT' } },
  },
  security: [{ bearerAuth: [] }],
  tags: [
    { name: 'auth', description: 'Accounts, sessions and tokens' },
    { name: 'users', description: 'The authenticated user' },
    { name: 'rooms', description: 'Rooms: create, find, change, delete' },
    { name: 'membership', description: 'Members, joining and leaving, kicks, bans and roles' },
    { name: 'invites', description: 'Invitations to rooms' },
    { name: 'dms', description: 'Direct messages: one room per pair of users' },
    { name: 'history', description: 'Message history' },
    { name: 'search', description: 'Full-text message search' },
    { name: 'announcements', description: 'Server announcements' },
    { name: 'presence', description: 'Who is online, and custom statuses' },
    { name: 'web', description: 'The web client served at /' },
  ],
};

/** What browsers get: CORS for other origins, the web client at `/`. None of it unless configured. */
export type BrowserSettings = Pick<WebSettings, 'corsOrigins' | 'webDir' | 'connectSrc'>;

export const NO_BROWSER_SETTINGS: BrowserSettings = { corsOrigins: [], webDir: null, connectSrc: "'self'" };

export interface AppOptions {
  /** Where the HTTP metrics go; none when absent. */
  registry?: Registry;
  browser?: BrowserSettings;
  /** The cluster-wide HTTP rate limits; none when absent. */
  rateLimits?: RateLimitSettings;
}

export async function buildApp(config: HttpConfig, logger: Logger, deps: RouteDeps, options: AppOptions = {}): Promise<App> {
  const { registry, browser = NO_BROWSER_SETTINGS, rateLimits } = options;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Bodies are validated as sent (no type coercion), query strings and path parameters converted; see validation.ts.
  app.setValidatorCompiler(validatorCompiler);
  // Bodies are JSON only; Fastify's built-in text/plain parser would let a
  // string through to validation and answer 400 instead of 415.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', null);
  if (registry) instrument(registry, app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem('not_found', `No route ${request.method} ${request.url.split('?')[0]}`)),
  );
  // Before the routes: its hook answers preflights before any authentication.
  await registerCors(app, browser.corsOrigins);
  // Before the routes: its hooks count requests to the routes added after them.
  if (rateLimits) await registerRateLimits(app, rateLimits);
  // Before the routes: swagger collects them as they are added.
  await app.register(swagger, { openapi: OPENAPI });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  registerRoutes(app, deps);
  if (browser.webDir) await registerWebClient(app, { dir: browser.webDir, connectSrc: browser.connectSrc });
  await app.ready();
  return app;
}
