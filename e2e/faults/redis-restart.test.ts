/** Redis shut down with its data saved and restarted a second later: nothing is lost, no seq is reused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordedGaps, scrape } from './harness.js';
import { runScenario } from './scenario.js';

test('Redis restarted with its data kept: every acked message persisted and delivered, in order', { timeout: 120_000 }, () =>
  runScenario({
    // Repairs after the reconnect, and no false alarm: the data came back, so no epoch changed.
    check: async ({ cluster, rooms }) => {
      assert.ok((await scrape(cluster, 'parley_gateway_gap_repairs_total')) >= 2, 'rooms were repaired after the reconnect');
      assert.equal(await scrape(cluster, 'parley_redis_data_loss_total'), 0, 'a restart that kept the data is no loss');
      for (const room of rooms) assert.deepEqual(await recordedGaps(cluster, room), []);
    },
    fault: async ({ redis }) => {
      await redis.stop('save');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await redis.start();
    },
  }),
);
