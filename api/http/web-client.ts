/**
 * The browser client (web/, built by Vite into web/dist) served at `/` from
 * API_WEB_DIR, so one origin serves the page and the api it calls.
 *
 * - index.html (and anything else outside assets/) is `no-cache`: a deploy
 *   takes effect on the next load. Vite names every file under assets/ by its
 *   content hash, so those are cached for a year, immutable.
 * - The HTML carries a strict Content-Security-Policy: scripts, styles and
 *   images from this origin only (blob: images for downloaded previews),
 *   connections to this origin and to API_WEB_CONNECT_SRC (the gateway).
 * - A path that is no file falls through to the api's not-found handler, so
 *   unknown api paths (/v1/…, /docs/…) still answer problem+json 404.
 */
import fastifyStatic from '@fastify/static';
import { posix, relative, sep } from 'node:path';
import type { App } from './app.js';

/** Where Vite puts hashed (content-addressed) build output. */
const HASHED_DIR = 'assets';
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function contentSecurityPolicy(connectSrc: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src ${connectSrc}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export async function registerWebClient(app: App, options: { dir: string; connectSrc: string }): Promise<void> {
  const csp = contentSecurityPolicy(options.connectSrc);
  await app.register(fastifyStatic, {
    root: options.dir,
    prefix: '/',
    index: ['index.html'],
    // Only the build output is served: no dotfiles, no listings, no directory redirects.
    dotfiles: 'ignore',
    list: false,
    redirect: false,
    cacheControl: false,
    decorateReply: false,
    setHeaders(reply, path) {
      const file = relative(options.dir, path).split(sep).join(posix.sep);
      reply.header('cache-control', file.startsWith(`${HASHED_DIR}/`) ? IMMUTABLE : 'no-cache');
      reply.header('x-content-type-options', 'nosniff');
      if (file.endsWith('.html')) {
        reply.header('content-security-policy', csp);
        reply.header('referrer-policy', 'no-referrer');
      }
    },
  });
}
