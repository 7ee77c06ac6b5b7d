/** The api service: config, logging, ops endpoints and lifecycle; the wiring and its connections are compose.ts. */
import { createLogger } from '../shared/log.js';
import { createRegistry } from '../shared/metrics.js';
import { startOpsServer } from '../shared/ops-server.js';
import { installCrashLogging, onShutdown, runMain } from '../shared/process.js';
import { loadApiConfig } from './config.js';
import { loadSigningKeys } from './auth/keys.js';
import { startApi } from './compose.js';

runMain(async () => {
  const config = loadApiConfig();
  const logger = createLogger(config.log, 'api');
  installCrashLogging(logger);
  const signingKeys = await loadSigningKeys(config.auth.keysFile);
  const registry = createRegistry('api');
  const api = await startApi(config, { logger, registry, signingKeys });

  let ready = false;
  const ops = await startOpsServer(config.ops, { registry, logger, ready: () => ready });
  const address = await api.app.listen({ host: config.http.host, port: config.http.port });
  ready = true;
  logger.info({ address }, 'api listening');

  onShutdown(logger, 15_000, async () => {
    ready = false;
    await api.stop();
    await ops.close();
  });
});
