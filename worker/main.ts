/** The worker process: config, logging, ops endpoints and lifecycle; the wiring and its connections are compose.ts. */
import { createLogger } from '../shared/log.js';
import { createRegistry } from '../shared/metrics.js';
import { startOpsServer } from '../shared/ops-server.js';
import { installCrashLogging, onShutdown, runMain } from '../shared/process.js';
import { loadWorkerConfig } from './config.js';
import { startWorker } from './compose.js';

runMain(async () => {
  const config = loadWorkerConfig();
  const logger = createLogger(config.log, 'worker');
  installCrashLogging(logger);
  const registry = createRegistry('worker');
  const worker = await startWorker(config, logger, registry);
  let ready = false;
  const ops = await startOpsServer(config.ops, { registry, logger, ready: () => ready });
  ready = true;
  logger.info({ consumer: config.worker.consumerName, partitions: worker.partitions }, 'worker started');

  // Each consumer finishes the batch in hand. A healthy batch takes less than
  // WORKER_CLAIM_MIN_IDLE_MS; past that its entries are claimed by another
  // worker anyway (and re-persisted idempotently), so waiting longer gains nothing.
  onShutdown(logger, config.worker.claimMinIdleMs + 5_000, async () => {
    ready = false;
    await worker.stop();
    await ops.close();
  });
});
