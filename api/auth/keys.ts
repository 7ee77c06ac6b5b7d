/**
 * Signing keys. The private set comes from AUTH_KEYS_FILE; only public parts
 * are ever served. The first key signs new tokens; all keys verify, so a
 * rotation publishes the new key before anyone needs it.
 */
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { ACCESS_TOKEN_ALG } from '../../shared/auth/claims.js';

export interface SigningKeys {
  signer: { kid: string; key: Awaited<ReturnType<typeof importJWK>> };
  /** Public keys only, as served at /.well-known/jwks.json. */
  publicJwks: JSONWebKeySet;
  /** Resolver for jose's jwtVerify over the public keys. */
  verifier: ReturnType<typeof createLocalJWKSet>;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

export function publicPart(jwk: JWK): JWK {
  const pub: JWK = { ...jwk };
  for (const m of PRIVATE_MEMBERS) delete (pub as Record<string, unknown>)[m];
  return pub;
}

export async function loadSigningKeys(path: string): Promise<SigningKeys> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`AUTH_KEYS_FILE ${path}: cannot read a JSON key set (${(err as Error).message}). Create one with \`npm run keygen > ${path}\`.`);
  }
  return signingKeysFromJwks(parsed, path);
}

export async function signingKeysFromJwks(parsed: unknown, source = 'key set'): Promise<SigningKeys> {
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${source}: expected {"keys":[…]} with at least one key`);
  for (const k of keys as JWK[]) {
    if (!k.kid || k.alg !== ACCESS_TOKEN_ALG || !k.d) {
      throw new Error(`${source}: every key needs "kid", "alg":"${ACCESS_TOKEN_ALG}" and its private part "d"`);
    }
  }
  const first = keys[0] as JWK;
  const publicJwks: JSONWebKeySet = { keys: (keys as JWK[]).map((k) => ({ ...publicPart(k), use: 'sig' })) };
  return {
    signer: { kid: first.kid!, key: await importJWK(first, ACCESS_TOKEN_ALG) },
    publicJwks,
    verifier: createLocalJWKSet(publicJwks),
  };
}

/** A new private JWK with a random kid, for `npm run keygen` and tests. */
export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: crypto.randomUUID(), alg: ACCESS_TOKEN_ALG };
}
