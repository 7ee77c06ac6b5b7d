/** The api service: config, connections and lifecycle; the wiring is compose.ts. */
import { connectPostgres } from '../shared/db/connect.js';
import { migrate } from '../shared/db/migrate.js';
import { createLogger } from '../shared/log.js';
import { createRegistry } from '../shared/metrics.js';
import { startOpsServer } from '../shared/ops-server.js';
import { installCrashLogging, onShutdown, runMain } from '../shared/process.js';
import { checkEvictionPolicy, connectRedis } from '../shared/redis/connect.js';
import { redisKeys } from '../shared/redis/keys.js';
import { loadApiConfig } from './config.js';
import { loadSigningKeys } from './auth/keys.js';
import { composeApi } from './compose.js';

runMain(async () => {
  const config = loadApiConfig();
  const logger = createLogger(config.log, 'api');
  installCrashLogging(logger);
  const signingKeys = await loadSigningKeys(config.auth.keysFile);

  if (config.postgres.migrate) await migrate(config.postgres.url, logger);
  const sql = await connectPostgres(config.postgres, logger, 'parley-api');
  const redis = await connectRedis(config.redis, logger, 'parley-api', { autoPipelining: true });
  await checkEvictionPolicy(redis, config.redis.evictionCheck, logger);
  const keys = redisKeys(config.redis.keyPrefix);
  const registry = createRegistry('api');

  const { app, uploads, messaging } = await composeApi({ sql, redis, keys, logger, registry, signingKeys }, config);
  await messaging.epochs.start(config.redis.epochCheckMs);
  const cleanUpTimer = setInterval(
    () => void uploads.cleanUp().catch((err: unknown) => logger.warn({ err }, 'expired upload clean-up failed')),
    Math.min(config.uploads.expireAfterMs, 3_600_000),
  );
  cleanUpTimer.unref();

  let ready = false;
  const ops = await startOpsServer(config.ops, { registry, logger, ready: () => ready });
  const address = await app.listen({ host: config.http.host, port: config.http.port });
  ready = true;
  logger.info({ address }, 'api listening');

  onShutdown(logger, 15_000, async () => {
    ready = false;
    await app.close();
    clearInterval(cleanUpTimer);
    messaging.epochs.stop();
    uploads.close();
    await Promise.allSettled([sql.end({ timeout: 5 }), redis.quit(), ops.close()]);
  });
});
