/** CLIENT KILL TYPE pubsub mid-run: every subscriber link drops; gateways repair from the room logs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrape } from './harness.js';
import { runScenario } from './scenario.js';

test('pub/sub links killed mid-run: every observer gets every acked message, in order', { timeout: 120_000 }, () =>
  runScenario({
    // Both gateways noticed, and repaired their rooms from the logs; nothing was lost.
    check: async ({ cluster }) => {
      assert.ok((await scrape(cluster, 'parley_gateway_gap_repairs_total')) >= 2, 'rooms were repaired after the reconnect');
      assert.equal(await scrape(cluster, 'parley_redis_data_loss_total'), 0);
    },
    fault: async ({ redis }) => {
      await redis.client().call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    },
  }),
);
