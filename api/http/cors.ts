/**
 * CORS for browser clients on other origins (API_CORS_ORIGINS). Without any
 * configured origin nothing is registered: no CORS headers, and preflights
 * answer 404 like any unknown route, so browsers allow same-origin use only.
 *
 * Requests carry bearer tokens, never cookies, so credentials are not
 * allowed. The tus routes write their responses themselves (the reply is
 * hijacked), so @tus/server sets their Access-Control-Allow-Origin from the
 * same origin list (`tusCors`); their preflights are answered here like any
 * other route's. `/v1/uploads` answers OPTIONS itself (tus discovery), so
 * there CORS only adds its headers (`OWN_OPTIONS_CORS`) and the route tells a
 * preflight from a discovery request (`isPreflight`, `answerPreflight`).
 */
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './app.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/cors options of one route, over the global ones (the plugin reads them from the route config). */
    cors?: Partial<FastifyCorsOptions>;
  }
}

/** Request headers a browser client may send: JSON calls, downloads and tus. */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-None-Match',
  'Range',
  'Tus-Resumable',
  'Upload-Length',
  'Upload-Offset',
  'Upload-Metadata',
  'Upload-Defer-Length',
  'Upload-Concat',
  'X-HTTP-Method-Override',
  'X-Requested-With',
];

/** Response headers a browser client may read. */
export const CORS_EXPOSED_HEADERS = [
  'Retry-After',
  'ETag',
  'Content-Disposition',
  'Content-Range',
  'Accept-Ranges',
  'Location',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Expires',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
];

export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** How long browsers may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export async function registerCors(app: App, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  await app.register(cors, {
    // Exact match only; a disallowed origin gets no Access-Control-Allow-Origin.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: false,
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
}

/**
 * The route config of a URL that answers OPTIONS itself: for an allowed
 * origin CORS adds its headers and lets every OPTIONS through to the route,
 * instead of answering it as a preflight (or refusing one without
 * Access-Control-Request-Method as malformed).
 */
export const OWN_OPTIONS_CORS = { cors: { preflightContinue: true, strictPreflight: false } };

/** A CORS preflight, as opposed to an OPTIONS request of the route's own. */
export function isPreflight(request: FastifyRequest): boolean {
  return request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined;
}

/**
 * Answers a preflight on such a URL as on any other: 204 with the headers
 * CORS added for an allowed origin; 404 otherwise (another origin, or no
 * configured origins), like the preflight of any route.
 */
export function answerPreflight(reply: FastifyReply): FastifyReply {
  if (reply.hasHeader('access-control-allow-origin')) return reply.code(204).header('content-length', '0').send();
  reply.callNotFound();
  return reply;
}

/** The CORS options of the tus server, for the same origins. */
export function tusCors(origins: readonly string[]): { allowedOrigins: (origin: string) => boolean; exposedHeaders: string[] } {
  const allowed = new Set(origins);
  return {
    // A function: @tus/server answers `*` without any list, and the first listed origin to a stranger with one.
    allowedOrigins: (origin) => allowed.has(origin),
    // @tus/server exposes the tus headers itself.
    exposedHeaders: ['Retry-After', 'Upload-Expires'],
  };
}
