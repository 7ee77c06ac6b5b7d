/**
 * Signing-key files for api processes started by tools: a private JWK set
 * with one fresh key, the form AUTH_KEYS_FILE holds. The key itself comes
 * from the api's public entry, which owns the format.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JWK } from 'jose';
import { generateSigningJwk } from '../api/index.js';

/**
 * Writes a key set with one new key to `path` (creating its directory),
 * readable by its owner only since it holds the private key; resolves the key.
 */
export async function writeSigningKeys(path: string): Promise<JWK> {
  const jwk = await generateSigningJwk();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ keys: [jwk] }, null, 2)}\n`, { mode: 0o600 });
  return jwk;
}
