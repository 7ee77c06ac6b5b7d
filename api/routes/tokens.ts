import type { Static } from 'typebox';
import type { TokenResponse } from '../../shared/http/schemas.js';
import type { IssuedTokens } from '../auth/sessions.js';
import type { RouteDeps } from './deps.js';
import { publicUser } from '../users.js';

/** The body login and refresh both answer with. */
export function tokenResponse(
  deps: Pick<RouteDeps, 'accessTtlSeconds' | 'refreshTtlSeconds'>,
  tokens: IssuedTokens,
  user: { id: string; username: string; created_at: Date },
): Static<typeof TokenResponse> {
  return {
    tokenType: 'Bearer',
    accessToken: tokens.accessToken,
    expiresIn: deps.accessTtlSeconds,
    refreshToken: tokens.refreshToken,
    refreshExpiresIn: deps.refreshTtlSeconds,
    user: publicUser(user),
  };
}
