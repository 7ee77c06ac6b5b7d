/** The gateway service: config, logging, ops endpoints and lifecycle; the wiring and its connections are compose.ts. */
import { createLogger } from '../shared/log.js';
import { createRegistry } from '../shared/metrics.js';
import { startOpsServer } from '../shared/ops-server.js';
import { installCrashLogging, onShutdown, runMain } from '../shared/process.js';
import { loadGatewayConfig } from './config.js';
import { composeGateway } from './compose.js';

runMain(async () => {
  const config = loadGatewayConfig();
  const logger = createLogger(config.log, 'gateway');
  installCrashLogging(logger);

  const registry = createRegistry('gateway');
  const gateway = await composeGateway(config, logger, registry);
  const ops = await startOpsServer(config.ops, { registry, logger, ready: () => gateway.ready() });
  const port = await gateway.start();
  logger.info({ url: `ws://${config.socket.host}:${port}/v1/ws` }, 'gateway listening');

  // Publishes in flight, the spread closes, then presence announcements, plus a margin.
  const shutdownMs = config.socket.drainTimeoutMs + config.socket.drainSpreadMs + 5_000;
  onShutdown(logger, shutdownMs, async () => {
    await gateway.stop();
    await ops.close();
  });
});
