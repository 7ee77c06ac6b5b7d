/** A gateway drained with SIGTERM: its clients move to the other one; its users' offline events all go out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from './harness.js';

test('a gateway drained mid-run: no message lost, every offline event delivered', { timeout: 120_000 }, () =>
  runScenario({
    // It drained (exit 0, after its closes and announcements), and nothing about it went wrong.
    check: async ({ cluster }) => {
      assert.deepEqual(await cluster.gateways[1]!.exited, { code: 0, signal: null });
      assert.doesNotMatch(cluster.gateways[1]!.output(), /presence announcement failed|presence disconnect failed/);
    },
    faultedGateway: 1,
    fault: async ({ cluster }) => {
      await cluster.gateways[1]!.kill('SIGTERM');
    },
  }),
);
