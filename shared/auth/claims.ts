/**
 * Access token claims: what the api signs and the gateway (and api) verify.
 * Tokens are JWTs signed with EdDSA (Ed25519) and a `kid` header; verifiers
 * pin the algorithm, issuer and audience.
 */
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';

export const ACCESS_TOKEN_ALG = 'EdDSA';

export const AccessClaims = Type.Object({
  /** User id. */
  sub: Type.String({ format: 'uuid' }),
  /** Session id: revoking the session invalidates every token carrying it. */
  sid: Type.String({ format: 'uuid' }),
  /** Username at issue time, so gateways can label messages without a lookup. */
  name: Type.String(),
  exp: Type.Integer(),
});
export type AccessClaims = Static<typeof AccessClaims>;

const check = Compile(AccessClaims);

/** The verified identity a token grants. */
export interface Principal {
  userId: string;
  sessionId: string;
  username: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/** Narrows a verified JWT payload to a Principal; null when claims are missing or malformed. */
export function principalFromClaims(payload: unknown): Principal | null {
  if (!check.Check(payload)) return null;
  const c = payload as AccessClaims;
  return { userId: c.sub, sessionId: c.sid, username: c.name, expiresAt: c.exp };
}
