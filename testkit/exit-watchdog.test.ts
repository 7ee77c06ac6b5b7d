/**
 * The exit watchdog that `make test` loads into each test file: a file that
 * leaks a timer fails soon after its last test, naming the timer; a clean
 * file passes as before. Both run under a real `node --test`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WATCHDOG = fileURLToPath(new URL('./exit-watchdog.js', import.meta.url));

function runTests(source: string) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-watchdog-'));
  try {
    const file = join(dir, 'fixture.test.mjs');
    writeFileSync(file, source);
    const env: NodeJS.ProcessEnv = { ...process.env, TEST_EXIT_GRACE_MS: '300' };
    delete env.NODE_TEST_CONTEXT;
    return spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--import', WATCHDOG, file], { env, encoding: 'utf8', timeout: 30_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a test file that leaves a timer running fails soon after its last test, naming what holds it open', () => {
  const run = runTests(`import { test } from 'node:test';\ntest('leaks', () => { setInterval(() => {}, 1000); });\n`);
  assert.equal(run.status, 1, run.stdout);
  assert.match(run.stdout, /did not exit 300 ms after its last test; open resources: \[[^\]]*"Timeout"/);
});

test('a test file that cleans up passes, with nothing said', () => {
  const run = runTests(`import { test } from 'node:test';\ntest('clean', () => { clearInterval(setInterval(() => {}, 1000)); });\n`);
  assert.equal(run.status, 0, run.stdout);
  assert.doesNotMatch(run.stdout, /did not exit/);
});
