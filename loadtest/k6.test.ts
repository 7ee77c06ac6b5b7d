/**
 * The k6 scripts cannot run here (no k6 binary), so this checks what can be
 * checked without it: they type-check against @types/k6 and the shared
 * protocol types, and each bundles (with the same build as `npm run k6:build`)
 * into one module that imports nothing but k6's own modules and carries no
 * typebox. Cheap static checks on the bundles cover the rest of the contract:
 * the stable k6/websockets module, a Trend, thresholds, and an exported
 * function for every scenario's `exec`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildResult } from 'esbuild';

/** dist/loadtest/ → repository root: the test reads the sources, which the root build does not compile. */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const k6Dir = join(repoRoot, 'loadtest', 'k6');

/**
 * One script per scenario of the Node bench, except persistence throughput
 * (see loadtest/README.md), two for what production adds: the HTTP api
 * under load, and reconnect-and-resume under a rolling restart, and small
 * rooms again over Socket.IO.
 */
const SCENARIOS = ['big-room', 'connect-storm', 'http-api', 'idle', 'reconnect-resume', 'small-rooms', 'socketio-small-rooms'];

interface K6Build {
  scenarioEntries(): string[];
  bundleScenarios(outdir: string): Promise<BuildResult<{ metafile: true }>>;
}

async function loadBuild(): Promise<K6Build> {
  return (await import(pathToFileURL(join(k6Dir, 'build.mjs')).href)) as K6Build;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'dist' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('the k6 scripts type-check against @types/k6 and the shared protocol types', () => {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(k6Dir, 'tsconfig.json'), '--noEmit'], { encoding: 'utf8' });
  assert.equal(result.status, 0, `tsc -p loadtest/k6/tsconfig.json failed:\n${result.stdout}${result.stderr}`);
});

test('there is one script per scenario', async () => {
  const { scenarioEntries } = await loadBuild();
  assert.deepEqual(scenarioEntries().map((path) => basename(path, '.ts')), SCENARIOS);
});

test('no k6 source builds a frame by hand', () => {
  for (const path of sources(k6Dir)) {
    const text = readFileSync(path, 'utf8');
    assert.doesNotMatch(text, /["'`]\{\s*\\?"type\\?"\s*:/, `${path} writes a frame as a string; build a typed frame and JSON.stringify it`);
  }
});

test('each script bundles into one k6 module with only k6 imports and no typebox', async () => {
  const { bundleScenarios } = await loadBuild();
  const outdir = mkdtempSync(join(tmpdir(), 'parley-k6-'));
  try {
    const result = await bundleScenarios(outdir);
    assert.deepEqual(result.errors, []);
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.includes('shared/protocol/constants.ts'), `the bundles should inline the shared constants; inputs: ${inputs.join(', ')}`);
    assert.deepEqual(inputs.filter((path) => /typebox|node_modules/.test(path)), []);
    // Socket.IO: the typebox-free constants, never the mapping module itself (it imports the codec).
    assert.ok(inputs.includes('shared/protocol/socketio-constants.ts'), 'the Socket.IO script should inline the shared Socket.IO constants');
    assert.deepEqual(inputs.filter((path) => /protocol\/(socketio|socketio-schemas|codec)\.ts$/.test(path)), []);
    const outputs = Object.entries(result.metafile.outputs);
    assert.deepEqual(outputs.map(([path]) => basename(path, '.js')).sort(), SCENARIOS);
    const executors = new Set<string>();

    for (const [path, output] of outputs) {
      const name = basename(path);
      const code = readFileSync(join(outdir, name), 'utf8');
      for (const imported of output.imports) {
        assert.ok(imported.external, `${name} bundles ${imported.path} instead of importing it`);
        assert.match(imported.path, /^k6(\/[a-z-]+)*$/, `${name} imports ${imported.path}, which k6 cannot resolve`);
      }
      assert.doesNotMatch(code, /typebox/i, `${name} mentions typebox`);
      assert.match(code, /from "k6\/websockets"/, `${name} does not use k6/websockets`);
      assert.doesNotMatch(code, /k6\/experimental/, `${name} uses an experimental k6 module`);
      // esbuild renames imports that collide across modules (Trend2).
      assert.match(code, /new Trend\d*\("parley_delivery_latency", true\)/, `${name} defines no delivery latency Trend`);
      assert.match(code, /\bthresholds\s*:/, `${name} sets no thresholds`);

      const exported = /export \{([^}]*)\};\s*$/.exec(code)?.[1]?.split(',').map((s) => s.trim()) ?? [];
      for (const required of ['options', 'setup', 'teardown']) assert.ok(exported.includes(required), `${name} does not export ${required}`);
      for (const [, exec] of code.matchAll(/\bexec: "([^"]+)"/g)) {
        assert.ok(exported.includes(exec), `${name}: a scenario runs "${exec}", which the module does not export`);
      }
      for (const [, executor] of code.matchAll(/\bexecutor: "([^"]+)"/g)) executors.add(executor);
    }
    for (const executor of ['ramping-vus', 'constant-arrival-rate']) assert.ok(executors.has(executor), `no script uses ${executor}`);

    // Reconnect and resume: sockets opt in to resume, send `resume` frames, and judge what comes back.
    const resume = readFileSync(join(outdir, 'reconnect-resume.js'), 'utf8');
    assert.match(resume, /resume: "resume"/, 'reconnect-resume should use the shared UPGRADE_OPTIONS');
    assert.match(resume, /type: "resume"/, 'reconnect-resume sends no resume frame');
    for (const metric of ['parley_resume_recovered', 'parley_missing_announced', 'parley_duplicates', 'parley_silent_gaps', 'parley_reconnects']) {
      assert.match(resume, new RegExp(`new \\w+\\("${metric}"`), `reconnect-resume does not record ${metric}`);
      assert.match(resume, new RegExp(`${metric}: \\[`), `reconnect-resume sets no threshold on ${metric}`);
    }

    // Socket.IO: the Engine.IO websocket transport at the shared path, CONNECT with auth, acked publishes, `closing`.
    const sio = readFileSync(join(outdir, 'socketio-small-rooms.js'), 'utf8');
    assert.match(sio, /SOCKETIO_PATH = "\/socket\.io\/"/, 'socketio-small-rooms should use the shared SOCKETIO_PATH');
    assert.match(sio, /"EIO=4&transport=websocket"/, 'socketio-small-rooms does not ask for Engine.IO v4 over websocket');
    assert.match(sio, /CLOSING_EVENT = "closing"/, 'socketio-small-rooms does not read the closing event');
    assert.match(sio, /publish: true/, 'socketio-small-rooms should take ACKED_FRAMES from the shared constants');
    assert.doesNotMatch(sio, /new ParleySocket|"\/v1\/ws"/, 'socketio-small-rooms opens raw-endpoint sockets');

    // The HTTP api: tus over plain requests, and latency thresholds per route.
    const api = readFileSync(join(outdir, 'http-api.js'), 'utf8');
    for (const header of ['Tus-Resumable', 'Upload-Length', 'Upload-Metadata', 'Upload-Offset']) assert.match(api, new RegExp(`"${header}"`), `http-api sends no ${header}`);
    assert.match(api, /http_req_duration\{name:/, 'http-api sets no per-route latency threshold');
    for (const route of ['/v1/auth/login', '/v1/rooms/{id}/messages', '/v1/search/messages']) assert.ok(api.includes(`"${route}"`), `http-api does not tag ${route}`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
