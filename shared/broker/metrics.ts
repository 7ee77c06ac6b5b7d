/**
 * Metrics of the Redis message path and its safety net, registered by every
 * service that touches room counters (gateway, api, worker).
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export type RedisSafetyMetrics = ReturnType<typeof createRedisSafetyMetrics>;

export function createRedisSafetyMetrics(registry: Registry) {
  const registers = [registry];
  return {
    dataLosses: new Counter({
      name: 'parley_redis_data_loss_total',
      help: 'Redis data losses detected (a partition epoch missing or replaced), counted once cluster-wide by the process that recorded it',
      labelNames: ['partition'] as const,
      registers,
    }),
    /** How many messages each publish.lua call carried (see publish-batch.ts): whether batching happens. */
    publishBatch: new Histogram({
      name: 'parley_publish_batch_messages',
      help: 'Messages per publish script call: the publishes of one event-loop turn and partition, up to REDIS_PUBLISH_BATCH_MAX',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    reseeds: new Counter({
      name: 'parley_seq_reseeds_total',
      help: 'Room counters reseeded past a possible loss of acked messages (the skipped seqs are reported as gaps)',
      registers,
    }),
  };
}
