/**
 * Redis shut down without saving and restarted empty: acked messages not yet
 * persisted are lost, but only inside reported gaps; no seq is ever reused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordedGaps, scrape } from './harness.js';
import { runScenario } from './scenario.js';

test('Redis restarted with its data wiped: no seq reused, every loss reported as a gap, observers never stall', { timeout: 120_000 }, () =>
  runScenario({
    // The loss was detected, both rooms reseeded past it, and gaps announced live.
    check: async ({ cluster, rooms }) => {
      assert.ok((await scrape(cluster, 'parley_redis_data_loss_total')) >= 1, 'the loss is counted');
      for (const room of rooms) assert.equal((await recordedGaps(cluster, room)).length, 1, 'one skipped range per room');
      assert.ok((await scrape(cluster, 'parley_gateway_gaps_announced_total')) >= 1, 'live sockets were told');
    },
    mayLoseData: true,
    fault: async ({ redis }) => {
      await redis.stop('nosave');
      await redis.start({ wipe: true });
    },
  }),
);
