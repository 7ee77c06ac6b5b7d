/**
 * The worker process: drains every persistence stream partition into Postgres.
 * This is the only module that wires components together.
 */
import { ConfigError } from '../shared/config/env.js';
import { connectPostgres } from '../shared/db/connect.js';
import { migrate } from '../shared/db/migrate.js';
import { createLogger, type Logger } from '../shared/log.js';
import { createRegistry } from '../shared/metrics.js';
import { startOpsServer } from '../shared/ops-server.js';
import { checkEvictionPolicy, connectRedis, DependencyUnavailableError, EvictionPolicyError } from '../shared/redis/connect.js';
import { RedisEpochs } from '../shared/broker/redis-epochs.js';
import { createRedisSafetyMetrics } from '../shared/broker/metrics.js';
import { PgSeqLedger } from '../shared/store/pg-seq-ledger.js';
import { redisKeys } from '../shared/redis/keys.js';
import { registerScripts } from '../shared/redis/scripts.js';
import { PgMessageStore } from '../shared/store/pg-message-store.js';
import { loadWorkerConfig } from './config.js';
import { startConsumers } from './consumer.js';
import { createWorkerMetrics, registerBacklogGauges } from './metrics.js';

async function main(logger: Logger, cfg: ReturnType<typeof loadWorkerConfig>): Promise<void> {
  let ready = false;
  const sql = await connectPostgres(cfg.postgres, logger, 'parley-worker');
  if (cfg.postgres.migrate) await migrate(cfg.postgres.url, logger);
  const redis = await connectRedis(cfg.redis, logger, 'worker');
  await checkEvictionPolicy(redis, cfg.redis.evictionCheck, logger);

  const keys = redisKeys(cfg.redis.keyPrefix);
  const registry = createRegistry('worker');
  registerBacklogGauges(registry, redis, keys);
  const scripts = registerScripts(redis);
  const epochs = new RedisEpochs({
    redis,
    scripts,
    keys,
    ledger: new PgSeqLedger(sql),
    logger,
    losses: createRedisSafetyMetrics(registry).dataLosses,
  });
  await epochs.start(cfg.redis.epochCheckMs);
  const consumers = await startConsumers({
    connect: (name) => connectRedis(cfg.redis, logger, name, { blockingMs: cfg.worker.blockMs }),
    store: new PgMessageStore(sql),
    scripts,
    keys,
    config: cfg.worker,
    logger,
    metrics: createWorkerMetrics(registry),
    regressed: (partition, epoch, why) => epochs.bump(partition, epoch, why),
  });
  const ops = await startOpsServer(cfg.ops, { registry, logger, ready: () => ready });
  ready = true;
  logger.info({ consumer: cfg.worker.consumerName, partitions: consumers.length }, 'worker started');

  let shuttingDown = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    ready = false;
    logger.info({ signal }, 'shutting down: finishing batches in hand');
    try {
      epochs.stop();
      await Promise.all(consumers.map((c) => c.stop()));
      await ops.close();
      redis.disconnect();
      await sql.end({ timeout: 5 });
      logger.info('worker stopped');
      process.exit(0);
    } catch (err) {
      logger.fatal({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));
}

let config: ReturnType<typeof loadWorkerConfig>;
try {
  config = loadWorkerConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`parley worker: ${err.message}\n`);
  process.exit(1);
}
const logger = createLogger(config.log, 'worker');
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
process.on('uncaughtException', (err) => {
  logger.fatal({ err }, 'uncaught exception');
  process.exit(1);
});

main(logger, config).catch((err: unknown) => {
  if (err instanceof DependencyUnavailableError || err instanceof EvictionPolicyError) {
    process.stderr.write(`parley worker: ${err.message}\n`);
  } else {
    logger.fatal({ err }, 'worker failed to start');
  }
  process.exit(1);
});
