/**
 * deploy/Dockerfile, read as text (there is no Docker engine here): the base
 * image is a supported Node LTS on a glibc new enough for the uWebSockets.js
 * binary of that Node, pinned by digest; the image holds production
 * dependencies, one uWS binary and the services' compiled code only; and
 * production dependencies are exactly what the services import, walking the
 * compiled entry points (dist/, as the image has them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const distDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(distDir, '..');
const dockerfile = readFileSync(join(repoDir, 'deploy/Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(repoDir, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};

/** Node majors the image may use, with their module ABI (uws_<os>_<arch>_<abi>.node). */
const LTS_ABI: Record<number, number> = { 22: 127, 24: 137 };
/** The image's entry points: the three mains, the api's two CLIs and the migration command (the Kubernetes Job and init containers). */
const ENTRIES = ['api/main.js', 'gateway/main.js', 'worker/main.js', 'api/keygen.js', 'api/admin-cli.js', 'shared/db/migrate-cli.js'];
/**
 * Production dependencies no entry point imports yet, each with the reason.
 * Keep this empty: a dependency production does not use is a dev dependency.
 */
const NOT_YET_IMPORTED: Record<string, string> = {
};

const stages = dockerfile.split(/^FROM\s/m).slice(1);
const finalStage = stages.at(-1) ?? '';
const buildStage = stages[0] ?? '';

test('Dockerfile: every stage is one Node LTS on Debian 13 slim, pinned by digest', () => {
  const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
  assert.ok(bases.length >= 2, 'multi-stage build expected');
  assert.equal(new Set(bases).size, 1, `every stage uses the same base: ${bases.join(', ')}`);
  const m = /^node:(\d+)-trixie-slim@sha256:[0-9a-f]{64}$/.exec(bases[0]!);
  // trixie (glibc 2.41): the uws binaries for Node 22 and 24 need glibc 2.38;
  // slim, not alpine (musl): uWS ships glibc builds only.
  assert.ok(m, `${bases[0]} must be node:<major>-trixie-slim@sha256:<digest>`);
  const major = Number(m[1]);
  assert.ok(major in LTS_ABI, `Node ${major} is not a supported LTS here (${Object.keys(LTS_ABI).join(', ')})`);
  assert.match(pkg.engines.node, new RegExp(`\\^${major}\\.`), `package.json engines must admit Node ${major}`);
  for (const arch of ['x64', 'arm64']) {
    const binary = `node_modules/uWebSockets.js/uws_linux_${arch}_${LTS_ABI[major]}.node`;
    assert.ok(existsSync(join(repoDir, binary)), `${binary} must exist for the image's Node`);
  }
});

test('Dockerfile: the final stage runs as node', () => {
  const users = [...finalStage.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
  assert.equal(users.at(-1), 'node', 'the final stage must run as node');
});

test('Dockerfile: production dependencies only, and one uWebSockets.js binary, for the build platform and ABI', () => {
  assert.match(buildStage, /npm prune --omit=dev/);
  // The kept binary is named from the stage's own node, so it matches the
  // final stage (same base) on whichever platform buildx builds for.
  assert.match(buildStage, /process\.platform.*process\.arch.*process\.versions\.modules/);
  assert.match(buildStage, /find \. -maxdepth 1 -name 'uws_\*\.node' ! -name "\$keep" -delete/);
  assert.match(buildStage, /require\('\/app\/node_modules\/uWebSockets\.js'\)/, 'the build checks that the kept binary loads');
});

test('Dockerfile: the image holds the services’ code, not tests, tools, bench or harnesses', () => {
  const copied = [...finalStage.matchAll(/^COPY\s+--from=build\s+\/app\/(\S+)\s+(\S+)/gm)].map((m) => m[1]!);
  const distCopies = copied.filter((p) => p.startsWith('dist'));
  assert.deepEqual(distCopies.sort(), ['dist/api', 'dist/gateway', 'dist/shared', 'dist/worker']);
  for (const p of copied) assert.ok(['package.json', 'node_modules', 'web/dist'].includes(p) || distCopies.includes(p), `unexpected copy ${p}`);
  assert.match(finalStage, /-name '\*\.test\.js'.*-delete/s, 'compiled tests are deleted');
});

/** Relative and bare specifiers of one compiled module (type-only imports are gone after tsc). */
function specifiers(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const found = [
    ...src.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]/gms),
    ...src.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ];
  return found.map((m) => m[1]!);
}

const packageName = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

test('the entry points import only code the image copies and only production dependencies, and use every one', () => {
  const allowedDirs = ['api', 'gateway', 'worker', 'shared'];
  const seen = new Set<string>();
  const bare = new Set<string>();
  const queue = ENTRIES.map((e) => join(distDir, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const rel = relative(distDir, file);
    assert.ok(existsSync(file), `${rel} is imported but was not built`);
    assert.ok(allowedDirs.includes(rel.split('/')[0]!), `${rel} is imported by a service but the image does not copy it`);
    assert.ok(!rel.endsWith('.test.js'), `${rel} is a test, deleted from the image`);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) bare.add(packageName(spec));
    }
  }
  const prod = Object.keys(pkg.dependencies);
  for (const name of bare) assert.ok(prod.includes(name), `the services import ${name}, which is not a production dependency`);
  const unused = prod.filter((name) => !bare.has(name) && !(name in NOT_YET_IMPORTED));
  assert.deepEqual(unused, [], 'production dependencies no service imports belong in devDependencies (or nowhere)');
  for (const name of Object.keys(NOT_YET_IMPORTED)) {
    if (bare.has(name)) assert.fail(`${name} is imported now: remove it from NOT_YET_IMPORTED`);
  }
});
