/** Writes every rendered monitoring file (see artifacts.ts). Run from the repository root after `npm run build`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { artifacts } from './artifacts.js';

/** dist/deploy/monitoring/ → repository root. */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

for (const [path, text] of artifacts()) {
  writeFileSync(`${repoRoot}${path}`, text);
  process.stdout.write(`wrote ${path}\n`);
}
