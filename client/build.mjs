/**
 * Builds the published package into client/dist:
 * - dist/index.js (browsers and bundlers) and dist/node.js (the "node" export
 *   condition): ES modules bundled by esbuild, with the shared wire
 *   definition (shared/protocol, shared/errors) inlined and the package's
 *   dependencies (typebox, tus-js-client, ws) left as imports;
 * - dist/types: declarations from tsc (client/tsconfig.json, which also
 *   checks that client/src needs nothing from Node).
 *
 *   npm run build -w client     (the root `npm run build` runs it too)
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });

await build({
  entryPoints: { index: join(here, 'src/index.ts'), node: join(here, 'src/node.ts') },
  outdir: dist,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  // Top-level await (node.ts) and class fields as written.
  target: 'es2022',
  external: ['typebox', 'typebox/*', 'tus-js-client', 'ws'],
  sourcemap: true,
  logLevel: 'warning',
});

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', here], { stdio: 'inherit' });
