/**
 * Bearer authentication for routes that need a user. Registered as an
 * onRequest hook, so it runs before body/query validation: an anonymous
 * request learns nothing about a route's schema. The verified principal
 * is attached to the request; anything else is a problem+json 401/503.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../shared/auth/claims.js';
import type { AccessVerifier } from '../../shared/auth/verify.js';
import { ParleyError } from '../../shared/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const BEARER = /^Bearer\s+(\S+)$/i;

export function requireAuth(verify: AccessVerifier) {
  return async (request: FastifyRequest): Promise<void> => {
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match) throw new ParleyError('unauthorized', 'Send the access token as "Authorization: Bearer <token>"');
    request.principal = await verify(match[1]!);
  };
}

/** The principal of an authenticated route (requireAuth ran as its preHandler). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ParleyError('unauthorized');
  return request.principal;
}
