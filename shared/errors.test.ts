/** The documented error table must list every code in the catalogue, with its HTTP status and close code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERRORS, ERROR_CODES } from './errors.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/protocol.md', import.meta.url)), 'utf8');

test('docs/protocol.md documents every error code with its status, close code and retryability', () => {
  const rows = new Map(
    [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (—|\d{4}) \| (yes|no) \|/gm)].map((m) => [m[1]!, m.slice(2, 5)]),
  );
  const problems: string[] = [];
  for (const code of ERROR_CODES) {
    const spec = ERRORS[code];
    const row = rows.get(code);
    if (!row) {
      problems.push(`${code}: not in the error table`);
      continue;
    }
    const [http, close, retryable] = row;
    if (Number(http) !== spec.http) problems.push(`${code}: documented HTTP ${http}, catalogue ${spec.http}`);
    if ((close === '—' ? null : Number(close)) !== spec.close) problems.push(`${code}: documented close ${close}, catalogue ${spec.close}`);
    if ((retryable === 'yes') !== spec.retryable) problems.push(`${code}: documented retryable ${retryable}, catalogue ${spec.retryable}`);
  }
  for (const code of rows.keys()) if (!(code in ERRORS)) problems.push(`${code}: documented but not in the catalogue`);
  assert.deepEqual(problems, []);
});
