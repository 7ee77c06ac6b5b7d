/**
 * Metrics of the Redis safety net, registered by every service that touches
 * room counters (gateway, api, worker).
 */
import { Counter, type Registry } from 'prom-client';

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
    reseeds: new Counter({
      name: 'parley_seq_reseeds_total',
      help: 'Room counters reseeded past a possible loss of acked messages (the skipped seqs are reported as gaps)',
      registers,
    }),
  };
}
