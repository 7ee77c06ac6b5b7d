/**
 * The worker's composition root: one consumer per persistence stream
 * partition, the partition epochs they bump when Postgres shows a seq went
 * backwards, and the backlog gauges, wired once from connections and
 * settings (`composeWorker`); and the process around them: connections from
 * the config, migrations, shutdown (`startWorker`). main.ts runs
 * `startWorker`; worker/consumer.test.ts composes the same worker over a
 * test database and key prefix.
 */
import type { RedisClient } from '../shared/redis/connect.js';
import type { Registry } from 'prom-client';
import { createRedisSafetyMetrics } from '../shared/broker/metrics.js';
import { RedisEpochs } from '../shared/broker/redis-epochs.js';
import { connectPostgres, type Sql } from '../shared/db/connect.js';
import { migrate } from '../shared/db/migrate.js';
import type { Logger } from '../shared/log.js';
import { checkEvictionPolicy, connectRedis } from '../shared/redis/connect.js';
import { redisKeys, type RedisKeys } from '../shared/redis/keys.js';
import { registerScripts } from '../shared/redis/scripts.js';
import { PgMessageStore } from '../shared/store/pg-message-store.js';
import { PgSeqLedger } from '../shared/store/pg-seq-ledger.js';
import type { WorkerConfig, WorkerServiceConfig } from './config.js';
import { startConsumers, type PartitionConsumer } from './consumer.js';
import { createWorkerMetrics, registerBacklogGauges } from './metrics.js';

export interface WorkerConnections {
  /** Where messages are persisted, and the seq ledger the epochs consult. */
  sql: Sql;
  /** Commands: the scripts, the epochs, the backlog gauges. */
  redis: RedisClient;
  /** Opens a connection for one partition's blocking reads; its consumer closes it. */
  connect(name: string): Promise<RedisClient>;
  keys: RedisKeys;
  logger: Logger;
  registry: Registry;
}

export interface WorkerSettings {
  worker: WorkerConfig;
  /** REDIS_EPOCH_CHECK_MS: how often the partition epochs are read. */
  epochCheckMs: number;
}

export interface ComposedWorker {
  /** Starts the epoch checks, then one consumer per partition; resolves with the consumers. */
  start(): Promise<PartitionConsumer[]>;
  /** Stops the epoch checks, then every consumer once its batch in hand is committed and acked. */
  stop(): Promise<void>;
}

export function composeWorker(c: WorkerConnections, settings: WorkerSettings): ComposedWorker {
  const { redis, keys, logger, registry } = c;
  registerBacklogGauges(registry, redis, keys);
  const scripts = registerScripts(redis);
  const epochs = new RedisEpochs({
    redis,
    scripts,
    keys,
    ledger: new PgSeqLedger(c.sql),
    logger,
    losses: createRedisSafetyMetrics(registry).dataLosses,
  });
  const metrics = createWorkerMetrics(registry);
  let consumers: PartitionConsumer[] = [];
  return {
    async start() {
      await epochs.start(settings.epochCheckMs);
      consumers = await startConsumers({
        connect: c.connect,
        store: new PgMessageStore(c.sql),
        scripts,
        keys,
        config: settings.worker,
        logger,
        metrics,
        regressed: (partition, epoch, why) => epochs.bump(partition, epoch, why),
      });
      return consumers;
    },
    async stop() {
      epochs.stop();
      await Promise.all(consumers.map((consumer) => consumer.stop()));
    },
  };
}

export interface RunningWorker {
  /** How many partitions have a consumer. */
  partitions: number;
  /** Stops the worker (see ComposedWorker.stop), then closes the connections. */
  stop(): Promise<void>;
}

/** The worker as main.ts runs it: connections and migrations from the config, then the composed worker, started. */
export async function startWorker(config: WorkerServiceConfig, logger: Logger, registry: Registry): Promise<RunningWorker> {
  const sql = await connectPostgres(config.postgres, logger, 'parley-worker');
  if (config.postgres.migrate) await migrate(config.postgres.url, logger);
  const redis = await connectRedis(config.redis, logger, 'worker');
  await checkEvictionPolicy(redis, config.redis.evictionCheck, logger);
  const worker = composeWorker(
    {
      sql,
      redis,
      connect: (name) => connectRedis(config.redis, logger, name, { blockingMs: config.worker.blockMs }),
      keys: redisKeys(config.redis.keyPrefix),
      logger,
      registry,
    },
    { worker: config.worker, epochCheckMs: config.redis.epochCheckMs },
  );
  const consumers = await worker.start();
  return {
    partitions: consumers.length,
    async stop() {
      await worker.stop();
      redis.disconnect();
      await sql.end({ timeout: 5 });
    },
  };
}
