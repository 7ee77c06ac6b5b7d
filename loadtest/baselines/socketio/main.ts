/** The Socket.IO baseline's process: wiring only. Configured by the environment (see ./config.ts). */
import { createLogger } from '../../../shared/log.js';
import { installCrashLogging, onShutdown, runMain } from '../../../shared/process.js';
import { connectRedis, singleNode } from '../../../shared/redis/connect.js';
import { loadSocketIoConfig } from './config.js';
import { createSocketIoBaseline } from './server.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;

runMain(async () => {
  const config = loadSocketIoConfig();
  const logger = createLogger(config.log, 'socketio');
  installCrashLogging(logger);
  const pub = singleNode(await connectRedis(config.redis, logger, 'socketio'), 'the Socket.IO baseline');
  const sub = singleNode(await connectRedis(config.redis, logger, 'socketio-sub'), 'the Socket.IO baseline');
  const server = createSocketIoBaseline(config, { pub, sub, logger });
  await server.listen();
  onShutdown(logger, SHUTDOWN_TIMEOUT_MS, async () => {
    await server.close();
    await Promise.all([pub.quit(), sub.quit()]);
  });
  logger.info({ host: config.listen.host, port: config.listen.port }, 'socket.io ready');
});
