/**
 * Bundles every scenario (`loadtest/k6/*.ts`; helpers live in `lib/`) into one
 * ES module per scenario under `loadtest/k6/dist/`, which `k6 run` takes as is.
 * k6 resolves neither TypeScript paths nor node packages, so the shared
 * protocol and api modules are inlined; the k6 modules stay imports, since k6
 * provides them. Type-only imports vanish, which keeps typebox out.
 *
 *   npm run k6:build          (or: node loadtest/k6/build.mjs [outdir])
 *
 * loadtest/k6.test.ts runs the same build into a temporary directory.
 */
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const K6_DIR = dirname(fileURLToPath(import.meta.url));

/** The scenario entry points, one bundle each. */
export function scenarioEntries() {
  return readdirSync(K6_DIR)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .sort()
    .map((name) => join(K6_DIR, name));
}

/** Builds every scenario into `outdir`; resolves to esbuild's result, with its metafile. */
export function bundleScenarios(outdir = join(K6_DIR, 'dist')) {
  return build({
    entryPoints: scenarioEntries(),
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    // Syntax k6's JavaScript runtime runs; newer syntax is lowered.
    target: 'es2020',
    external: ['k6', 'k6/*'],
    tsconfig: join(K6_DIR, 'tsconfig.json'),
    metafile: true,
    // Paths in the metafile and in the bundles' comments are relative to the repository root.
    absWorkingDir: resolve(K6_DIR, '..', '..'),
    logLevel: 'warning',
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = resolve(process.argv[2] ?? join(K6_DIR, 'dist'));
  const result = await bundleScenarios(outdir);
  for (const file of Object.keys(result.metafile.outputs)) process.stdout.write(`${relative(process.cwd(), resolve(file))}\n`);
}
