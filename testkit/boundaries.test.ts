/**
 * The module boundaries, checked over the source tree (every import, export
 * and dynamic import of every source file, read with TypeScript's own
 * pre-processor):
 *
 * - a service (api/, gateway/, worker/) never imports another service;
 * - code outside a service reaches it only through its public entry
 *   (`api/index.ts`, `gateway/index.ts` and `gateway/uws.ts`,
 *   `worker/index.ts`); shared/ and client/ lie below the services and import
 *   none of them;
 * - testkit/ is for tests and tools only: no service or shared module
 *   imports it, except their tests and test support (`*.test.ts`,
 *   `testing.ts`, `*.contract.ts`);
 * - only gateway/uws.ts imports uWebSockets.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** dist/testkit/ → the repository root: the sources are scanned, not their compiled copies. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const SERVICES = new Set(['api', 'gateway', 'worker']);
/** Public entries, without extension. */
const ENTRIES = new Set(['api/index', 'gateway/index', 'gateway/uws', 'worker/index']);
const UWS = 'uWebSockets.js';
const UWS_OWNER = 'gateway/uws.ts';
/** Directories below the services: they import no service at all. */
const BELOW_SERVICES = new Set(['shared', 'client']);
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.local', 'coverage']);
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

const topOf = (path: string) => path.split('/')[0]!;
const withoutExtension = (path: string) => path.replace(/\.(d\.ts|ts|tsx|mts|cts|js|mjs|cjs)$/, '');
const isTestCode = (path: string) => /\.test\.[cm]?[jt]s$|(^|\/)testing\.ts$|\.contract\.ts$/.test(path);

/** Why `importer` (a repository path) may not import `specifier`, or null when it may. */
function violation(importer: string, specifier: string): string | null {
  if (specifier === UWS || specifier.startsWith(`${UWS}/`)) {
    return importer === UWS_OWNER ? null : `only ${UWS_OWNER} imports ${UWS}`;
  }
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  const target = posix.normalize(posix.join(posix.dirname(importer), specifier));
  const from = topOf(importer);
  const to = topOf(target);
  if (SERVICES.has(to) && from !== to) {
    if (SERVICES.has(from)) return `a service (${from}/) imports another service (${to}/)`;
    if (BELOW_SERVICES.has(from)) return `${from}/ lies below the services and imports none of them`;
    if (!ENTRIES.has(withoutExtension(target))) return `${to}/ is reached only through its public entry (${[...ENTRIES].filter((e) => topOf(e) === to).map((e) => `${e}.ts`).join(', ')})`;
  }
  if (to === 'testkit' && from !== 'testkit' && (SERVICES.has(from) || BELOW_SERVICES.has(from)) && !isTestCode(importer)) {
    return `testkit/ is for tests and tools; ${from}/ imports it from tests and test support only`;
  }
  return null;
}

function sourceFiles(dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(`${ROOT}${dir}`, { withFileTypes: true })) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) out.push(...sourceFiles(path));
    } else if (SOURCE.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

function importsOf(path: string): string[] {
  const info = ts.preProcessFile(readFileSync(`${ROOT}${path}`, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

test('the rules themselves: what they allow and refuse', () => {
  const refused: [string, string][] = [
    ['e2e/x.test.ts', '../api/auth/keys.js'],
    ['loadtest/baselines/config.ts', '../../gateway/config.js'],
    ['testkit/cluster.ts', '../worker/consumer.js'],
    ['scripts/cluster.ts', '../api/compose.js'],
    ['api/routes/x.ts', '../../gateway/index.js'],
    ['worker/main.ts', '../api/index.js'],
    ['shared/broker/x.ts', '../../api/index.js'],
    ['api/compose.ts', '../testkit/logger.js'],
    ['shared/log.ts', '../testkit/processes.js'],
    ['loadtest/baselines/relay/server.ts', 'uWebSockets.js'],
    ['gateway/server.ts', 'uWebSockets.js'],
  ];
  for (const [importer, specifier] of refused) assert.ok(violation(importer, specifier), `${importer} → ${specifier} is refused`);
  const allowed: [string, string][] = [
    ['e2e/x.test.ts', '../api/index.js'],
    ['loadtest/baselines/relay/server.ts', '../../../gateway/uws.js'],
    ['deploy/monitoring/defaults.ts', '../../worker/index.js'],
    ['api/compose.ts', './auth/keys.js'],
    ['api/compose.ts', '../shared/log.js'],
    ['api/testing.ts', '../testkit/logger.js'],
    ['api/routes/auth.test.ts', '../../testkit/postgres.js'],
    ['shared/broker/redis-bus.test.ts', '../../testkit/redis.js'],
    ['gateway/uws.ts', 'uWebSockets.js'],
    ['testkit/cluster.ts', '../api/index.js'],
  ];
  for (const [importer, specifier] of allowed) assert.equal(violation(importer, specifier), null, `${importer} → ${specifier} is allowed`);
});

test('no source file crosses a boundary', () => {
  const files = sourceFiles();
  const problems: string[] = [];
  let imports = 0;
  const uwsImporters = new Set<string>();
  for (const file of files) {
    for (const specifier of importsOf(file)) {
      imports++;
      if (specifier === UWS) uwsImporters.add(file);
      const why = violation(file, specifier);
      if (why) problems.push(`${file} imports '${specifier}': ${why}`);
    }
  }
  // A scan that saw nothing would pass vacuously.
  assert.ok(files.includes('api/main.ts') && files.includes('testkit/cluster.ts'), 'the scan reads the source tree');
  assert.ok(imports > 1000, `the scan finds imports (${imports})`);
  assert.deepEqual(problems, []);
  assert.deepEqual([...uwsImporters], [UWS_OWNER], `${UWS} is imported by ${UWS_OWNER} alone`);
});
