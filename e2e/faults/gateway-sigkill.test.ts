/** A gateway killed with SIGKILL: its clients move to the other one; its users go offline once its lease lapses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from './scenario.js';

test('a gateway killed mid-run: no message lost, its users offline for everyone, no ghosts', { timeout: 120_000 }, () =>
  runScenario({
    check: async ({ cluster }, { observers }) => {
      assert.deepEqual(await cluster.gateways[1]!.exited, { code: null, signal: 'SIGKILL' });
      // The resuming observer that was on it resumed on the other gateway.
      assert.ok(observers.find((o) => o.name === 'resuming1')!.seen.frames.some((f) => f.type === 'resumed'));
    },
    faultedGateway: 1,
    fault: async ({ cluster }) => {
      await cluster.gateways[1]!.kill('SIGKILL');
    },
  }),
);
