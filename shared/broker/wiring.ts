/**
 * The message path over Redis and Postgres, assembled once: epochs, the
 * seeder, the room log and the publisher. Every service's composition root
 * and the tests that need the real path build it here, so they cannot be
 * wired differently.
 */
import type { RedisClient } from '../redis/connect.js';
import type { Registry } from 'prom-client';
import type { Sql } from '../db/connect.js';
import type { Logger } from '../log.js';
import type { StreamsConfig } from '../config/slices.js';
import type { RedisKeys } from '../redis/keys.js';
import { registerScripts, type Scripts } from '../redis/scripts.js';
import { PgSeqLedger } from '../store/pg-seq-ledger.js';
import { createRedisSafetyMetrics, type RedisSafetyMetrics } from './metrics.js';
import { RedisEpochs } from './redis-epochs.js';
import { RedisPublisher } from './redis-publisher.js';
import { RedisRoomLog } from './redis-room-log.js';
import { SeqSeeder } from './seq-seeder.js';

export interface MessagingDeps {
  /** The connection scripts run on (and WAIT is sent on). */
  redis: RedisClient;
  sql: Sql;
  keys: RedisKeys;
  streams: Pick<StreamsConfig, 'roomLogMaxLen' | 'persistMaxBacklog' | 'dedupTtlSeconds' | 'publishBatchMax'> &
    Partial<Pick<StreamsConfig, 'ackReplicas' | 'ackTimeoutMs'>>;
  logger: Logger;
  registry: Registry;
}

export interface Messaging {
  scripts: Scripts;
  ledger: PgSeqLedger;
  epochs: RedisEpochs;
  seeder: SeqSeeder;
  roomLog: RedisRoomLog;
  publisher: RedisPublisher;
  metrics: RedisSafetyMetrics;
}

export function createMessaging(deps: MessagingDeps): Messaging {
  const { redis, sql, keys, streams, logger } = deps;
  const scripts = registerScripts(redis);
  const metrics = createRedisSafetyMetrics(deps.registry);
  const ledger = new PgSeqLedger(sql);
  const epochs = new RedisEpochs({ redis, scripts, keys, ledger, logger, losses: metrics.dataLosses });
  const seeder = new SeqSeeder({ scripts, keys, epochs, ledger, margin: streams.persistMaxBacklog, logger, reseeds: metrics.reseeds });
  const roomLog = new RedisRoomLog(redis, keys, (room, floor) => seeder.ensure(room, floor), logger);
  const publisher = new RedisPublisher({
    scripts,
    keys,
    config: streams,
    epochs,
    seeder,
    replication: streams.ackReplicas ? { redis, replicas: streams.ackReplicas, timeoutMs: streams.ackTimeoutMs ?? 250 } : undefined,
    batchSizes: metrics.publishBatch,
  });
  return { scripts, ledger, epochs, seeder, roomLog, publisher, metrics };
}
