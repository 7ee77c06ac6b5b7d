/** The relay baseline's process: wiring only. Configured by the environment (see ../config.ts). */
import { createLogger } from '../../../shared/log.js';
import { installCrashLogging, onShutdown, runMain } from '../../../shared/process.js';
import { connectRedis, singleNode } from '../../../shared/redis/connect.js';
import { loadBaselineConfig } from '../config.js';
import { createRelay } from './server.js';

const DRAIN_TIMEOUT_MS = 5_000;

runMain(async () => {
  const config = loadBaselineConfig();
  const logger = createLogger(config.log, 'relay');
  installCrashLogging(logger);
  const pub = singleNode(await connectRedis(config.redis, logger, 'relay'), 'the relay baseline');
  const sub = singleNode(await connectRedis(config.redis, logger, 'relay-sub'), 'the relay baseline');
  const relay = createRelay(config, { pub, sub, logger });
  await relay.listen();
  onShutdown(logger, DRAIN_TIMEOUT_MS * 2, async () => {
    await relay.drain(DRAIN_TIMEOUT_MS);
    await Promise.all([pub.quit(), sub.quit()]);
  });
  logger.info({ host: config.listen.host, port: config.listen.port }, 'relay ready');
});
