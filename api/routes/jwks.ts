import type { App } from '../http/app.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /.well-known/jwks.json — public signing keys. Gateways cache them and
 * refetch when they meet an unknown `kid`, so keys rotate without restarts.
 */
export function jwksRoute(app: App, deps: RouteDeps): void {
  app.get('/.well-known/jwks.json', { schema: { tags: ['auth'], summary: 'Public keys that verify access tokens (JWKS)', security: [] } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return deps.signingKeys.publicJwks;
  });
}
