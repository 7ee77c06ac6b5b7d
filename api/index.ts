/**
 * The api's public entry: the only module of api/ that code outside it
 * (testkit/, e2e/, loadtest/, scripts/, deploy/) may import. Everything else
 * under api/ is internal; testkit/boundaries.test.ts enforces it. Tools run
 * the api itself as a process (`dist/api/main.js`, see testkit/processes.ts).
 */
import { loadApiConfig } from './config.js';
import { loadSigningKeys } from './auth/keys.js';
import { createTokenIssuer, type IssueAccessToken } from './auth/tokens.js';

/** The configuration schema (its `env` annotations are the variables the api reads) and its loader. */
export { ApiConfig, loadApiConfig } from './config.js';
/** A new private signing JWK, in the form AUTH_KEYS_FILE holds (`{"keys":[…]}`, first key signs). */
export { generateSigningJwk } from './auth/keys.js';
/** The HTTP metrics the api registers, for the monitoring artefacts in deploy/. */
export { instrument } from './metrics.js';
export type { IssueAccessToken } from './auth/tokens.js';

/**
 * Issues access tokens exactly as an api process started with `env` would:
 * signed with the first key of its AUTH_KEYS_FILE, with its issuer, audience
 * and lifetime. For tools that write users and sessions in bulk and need
 * the tokens login would have handed out.
 */
export async function accessTokenIssuer(env: Record<string, string | undefined>): Promise<IssueAccessToken> {
  const config = loadApiConfig(env);
  return createTokenIssuer(await loadSigningKeys(config.auth.keysFile), config.auth);
}
