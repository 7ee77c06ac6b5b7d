/** Issues access tokens (JWT, EdDSA, with kid/iss/aud/sub/sid/exp). */
import { SignJWT } from 'jose';
import { ACCESS_TOKEN_ALG } from '../../shared/auth/claims.js';
import type { SigningKeys } from './keys.js';

export interface TokenIssuerConfig {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
}

export type IssueAccessToken = (subject: { userId: string; username: string; sessionId: string }) => Promise<string>;

export function createTokenIssuer(keys: SigningKeys, config: TokenIssuerConfig): IssueAccessToken {
  return ({ userId, username, sessionId }) =>
    new SignJWT({ sid: sessionId, name: username })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: keys.signer.kid, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setIssuedAt()
      .setJti(crypto.randomUUID())
      .setExpirationTime(`${config.accessTtlSeconds}s`)
      .sign(keys.signer.key);
}
