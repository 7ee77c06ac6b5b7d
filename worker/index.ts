/**
 * The worker's public entry: the only module of worker/ that code outside it
 * (testkit/, e2e/, loadtest/, scripts/, deploy/) may import; testkit/
 * boundaries.test.ts enforces it. Tools run the worker itself as a process
 * (`dist/worker/main.js`, see testkit/processes.ts).
 */

/** The configuration schema (its `env` annotations are the variables the worker reads) and its loader. */
export { WorkerServiceConfig, loadWorkerConfig } from './config.js';
/** The worker's metrics, for the monitoring artefacts in deploy/. */
export { createWorkerMetrics, registerBacklogGauges } from './metrics.js';
