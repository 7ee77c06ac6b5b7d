import { Credentials, Problem, TokenResponse } from '../../shared/http/schemas.js';
import { ParleyError } from '../../shared/errors.js';
import { burnVerification, verifyPassword } from '../auth/passwords.js';
import type { App } from '../http/app.js';
import type { RouteDeps } from './deps.js';
import { tokenResponse } from './tokens.js';

/** POST /v1/auth/login — starts a session: access token + refresh token. */
export function loginRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/auth/login',
    {
      // Rate-limited per client IP and per username (api/http/rate-limit.ts).
      config: { authLimit: 'ip+username' },
      schema: { tags: ['auth'], summary: 'Log in: start a session', security: [], body: Credentials, response: { 200: TokenResponse, 400: Problem, 401: Problem, 429: Problem } },
    },
    async (request) => {
      const { username, password } = request.body;
      const user = await deps.users.byUsername(username);
      if (!user) {
        await burnVerification(password);
        throw new ParleyError('invalid_credentials');
      }
      if (!(await verifyPassword(user.password_hash, password))) throw new ParleyError('invalid_credentials');
      const tokens = await deps.sessions.start(user);
      return tokenResponse(deps, tokens, user);
    },
  );
}
