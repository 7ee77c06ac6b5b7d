/**
 * Rooms chosen to land in every partition, so that a test exercises every
 * hash tag (in a Redis Cluster: every slot parley uses, and so every primary
 * that serves one) rather than whichever partitions random ids hit.
 */
import { randomUUID } from 'node:crypto';
import { PARTITIONS, partitionOf } from '../shared/redis/keys.js';

/**
 * `perPartition` fresh random room ids for each partition, ordered by
 * partition: index i is in partition `Math.floor(i / perPartition)`.
 * Random UUIDs are drawn until every partition has its share.
 */
export function roomsInEveryPartition(perPartition = 1): string[] {
  const byPartition: string[][] = Array.from({ length: PARTITIONS }, () => []);
  let missing = PARTITIONS * perPartition;
  while (missing > 0) {
    const room = randomUUID();
    const share = byPartition[partitionOf(room)]!;
    if (share.length < perPartition) {
      share.push(room);
      missing--;
    }
  }
  return byPartition.flat();
}
