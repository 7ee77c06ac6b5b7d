/**
 * Access token verification, shared by the gateway (remote JWKS) and the api
 * (its own keys). A token is accepted only when its signature, algorithm,
 * issuer, audience and expiry check out, its claims are well formed, and its
 * session has not been revoked.
 */
import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ParleyError } from '../errors.js';
import { ACCESS_TOKEN_ALG, principalFromClaims, type Principal } from './claims.js';

export interface AccessVerifierOptions {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  /** Whether the session was logged out or revoked (Redis lookup). */
  isRevoked: (sessionId: string) => Promise<boolean>;
}

export type AccessVerifier = (token: string) => Promise<Principal>;

/**
 * Rejects with ParleyError: `unauthorized` (bad, expired or foreign token),
 * `session_revoked`, or `unavailable` (keys or revocation list unreachable:
 * the token may be fine, so the client should retry rather than log in again).
 */
export function createAccessVerifier(options: AccessVerifierOptions): AccessVerifier {
  return async (token) => {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, options.keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [ACCESS_TOKEN_ALG],
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        throw new ParleyError('unavailable', 'Signing keys are unavailable', { cause: err, retryAfterMs: 1000 });
      }
      throw new ParleyError('unauthorized', undefined, { cause: err });
    }
    const principal = principalFromClaims(payload);
    if (!principal) throw new ParleyError('unauthorized', 'Access token claims are malformed');
    let revoked: boolean;
    try {
      revoked = await options.isRevoked(principal.sessionId);
    } catch (err) {
      throw new ParleyError('unavailable', undefined, { cause: err, retryAfterMs: 500 });
    }
    if (revoked) throw new ParleyError('session_revoked');
    return principal;
  };
}

/** Revocation lookup against the Redis key the api sets on logout. */
export function redisRevocationCheck(
  redis: { exists(key: string): Promise<number> },
  keyOf: (sessionId: string) => string,
): (sessionId: string) => Promise<boolean> {
  return async (sessionId) => (await redis.exists(keyOf(sessionId))) === 1;
}
