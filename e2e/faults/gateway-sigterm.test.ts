/** A gateway drained with SIGTERM: its clients move to the other one; its users' offline events all go out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from './scenario.js';

test('a gateway drained mid-run: no message lost, every offline event delivered', { timeout: 120_000 }, () =>
  runScenario({
    // It drained (exit 0, after its closes and announcements), and nothing about it went wrong.
    check: async ({ cluster }, { observers, bystanderClosedAt }) => {
      assert.deepEqual(await cluster.gateways[1]!.exited, { code: 0, signal: null });
      assert.doesNotMatch(cluster.gateways[1]!.output(), /presence announcement failed|presence disconnect failed/);
      // The closes were spread over GATEWAY_DRAIN_SPREAD_MS (500 ms here), not all at once.
      assert.equal(bystanderClosedAt.length, 4);
      assert.ok(Math.max(...bystanderClosedAt) - Math.min(...bystanderClosedAt) >= 100, `closes spread: ${bystanderClosedAt}`);
      // The plain observer that was on it came back without resume: it read what it missed from history itself.
      assert.ok(observers.find((o) => o.name === 'plain1')!.seen.reads.some((r) => r.why === 'timer'), 'a hole filled after the gap wait');
    },
    faultedGateway: 1,
    fault: async ({ cluster }) => {
      await cluster.gateways[1]!.kill('SIGTERM');
    },
  }),
);
