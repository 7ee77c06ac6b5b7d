/**
 * Prints a private JWK set with a fresh Ed25519 signing key first.
 *   node dist/api/keygen.js                 → a new set with one key
 *   node dist/api/keygen.js current.json    → rotation: new key first, then the keys of current.json
 */
import { readFileSync } from 'node:fs';
import { generateSigningJwk } from './auth/keys.js';

const existingPath = process.argv[2];
const existing = existingPath ? (JSON.parse(readFileSync(existingPath, 'utf8')) as { keys: unknown[] }).keys : [];
process.stdout.write(`${JSON.stringify({ keys: [await generateSigningJwk(), ...existing] }, null, 2)}\n`);
