import { Credentials, Problem, RegisterResponse } from '../../shared/http/schemas.js';
import { hashPassword } from '../auth/passwords.js';
import type { App } from '../http/app.js';
import { publicUser } from '../users.js';
import type { RouteDeps } from './deps.js';

/** POST /v1/auth/register — creates an account; the user joins the global room. */
export function registerRoute(app: App, deps: RouteDeps): void {
  app.post(
    '/v1/auth/register',
    {
      // Rate-limited per client IP and per username (api/http/rate-limit.ts).
      config: { authLimit: 'ip+username' },
      schema: { tags: ['auth'], summary: 'Register an account', security: [], body: Credentials, response: { 201: RegisterResponse, 400: Problem, 409: Problem, 429: Problem } },
    },
    async (request, reply) => {
      const user = await deps.users.create(request.body.username, await hashPassword(request.body.password));
      return reply.code(201).send({ user: publicUser(user) });
    },
  );
}
