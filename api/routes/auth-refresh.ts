import { Problem, RefreshRequest, TokenResponse } from '../../shared/http/schemas.js';
import type { App } from '../http/app.js';
import type { RouteDeps } from './deps.js';
import { tokenResponse } from './tokens.js';

/**
 * POST /v1/auth/refresh — rotates the refresh token. Reusing an old one
 * revokes the whole session (401 refresh_token_reused).
 */
export function refreshRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/auth/refresh',
    {
      // Rate-limited per client IP (api/http/rate-limit.ts).
      config: { authLimit: 'ip' },
      schema: { tags: ['auth'], summary: 'Exchange a refresh token for a new token pair', security: [], body: RefreshRequest, response: { 200: TokenResponse, 400: Problem, 401: Problem, 429: Problem } },
    },
    async (request) => {
      const rotated = await deps.sessions.refresh(request.body.refreshToken);
      return tokenResponse(deps, rotated, { ...rotated.user, created_at: rotated.user.createdAt });
    },
  );
}
