/**
 * Loaded into every test file's process by `make test` (`node --test
 * --import`): a test file whose process is still up TEST_EXIT_GRACE_MS
 * (default 60 s) after its last test fails, naming what holds it open.
 * Without it a leaked timer or socket hangs the whole run until CI's limit
 * (a Cluster client's slot-refresh rounds did, twice). Unlike
 * `--test-force-exit` it hides nothing: the file fails, so the leak gets
 * fixed. Only the test file's own main thread arms it; the services a test
 * starts are not loaded with it, and worker threads (which inherit
 * execArgv) skip it.
 */
import { after } from 'node:test';
import { isMainThread } from 'node:worker_threads';

const graceMs = Number(process.env.TEST_EXIT_GRACE_MS ?? 60_000);

/** What the process's handles are, where Node tells: sockets and servers by address, child processes by pid. */
function describeHandles(): string[] {
  const handles = (process as unknown as { _getActiveHandles?: () => object[] })._getActiveHandles?.() ?? [];
  return handles.map((h) => {
    const o = h as { constructor: { name: string }; remoteAddress?: string; remotePort?: number; address?: () => unknown; pid?: number; spawnfile?: string };
    if (o.remoteAddress !== undefined) return `${o.constructor.name} to ${o.remoteAddress}:${o.remotePort}`;
    if (o.pid !== undefined) return `${o.constructor.name} pid ${o.pid} (${o.spawnfile})`;
    if (typeof o.address === 'function') return `${o.constructor.name} on ${JSON.stringify(o.address())}`;
    return o.constructor.name;
  });
}

if (isMainThread && process.env.NODE_TEST_CONTEXT !== undefined && graceMs > 0) {
  after(() => {
    setTimeout(() => {
      process.stderr.write(
        `# this test file's process did not exit ${graceMs} ms after its last test; ` +
          `open resources: ${JSON.stringify(process.getActiveResourcesInfo())}; handles: ${JSON.stringify(describeHandles())}\n`,
      );
      process.exit(1);
    }, graceMs).unref();
  });
}
