/**
 * The benchmark harness in smoke mode (a few hundred sockets, a few seconds
 * per scenario), so it cannot rot. It checks that every figure is produced
 * and that no acked message was lost; it asserts nothing about speed. Runs
 * parley, and a baseline too if its module is built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from './options.js';
import { formatReport } from './report.js';
import { runBench, type TargetResults } from './run.js';
import type { LossReport } from './loss.js';

function assertNoLoss(what: string, loss: LossReport): void {
  assert.ok(loss.acked > 0, `${what}: nothing was acked`);
  assert.equal(loss.ackedNotDelivered, 0, `${what}: acked but not delivered`);
  assert.equal(loss.deliveredUnacked, 0, `${what}: delivered but never acked`);
  assert.equal(loss.excess, 0, `${what}: delivered to sockets outside the room`);
  assert.equal(loss.delivered, loss.expectedDeliveries, `${what}: deliveries`);
}

function assertPublishScenarios(kind: string, r: TargetResults): void {
  const big = r.bigRoom;
  assert.ok(big, `${kind}: scenario 1 produced no result`);
  assert.equal(big.connect.ok, big.sockets);
  assert.ok(big.steps.length > 0);
  for (const s of big.steps) {
    assertNoLoss(`${kind} scenario 1 step ${s.step}`, s.loss);
    assert.ok(s.deliveriesPerSecond > 0 && s.latency.count > 0, `${kind} step ${s.step}: no deliveries measured`);
    assert.ok(s.server.window.processes.length > 0, 'server processes measured');
    assert.ok(s.generator.cpuPercent >= 0 && s.generator.loopUtilisation.length > 0, 'generator usage measured');
  }
  assert.equal(big.rssPerSocket.length, 2, 'RSS per socket for both socket-holding processes');

  const small = r.smallRooms;
  assert.ok(small, `${kind}: scenario 2 produced no result`);
  assertNoLoss(`${kind} scenario 2`, small.loss);
  assert.ok(small.deliveriesPerSecond > 0 && small.latency.count > 0);
}

test('npm run bench --smoke produces every figure and loses no acked message', async () => {
  const parsed = parseOptions(['--smoke']);
  assert.ok(!('help' in parsed));
  const result = await runBench(parsed);

  const parley = result.results.parley;
  assert.ok(parley?.available, 'parley is always available');
  assert.deepEqual(parley.failed, {}, 'no scenario failed');
  assertPublishScenarios('parley', parley);

  for (const [during, persistence] of [
    ['scenario 1', parley.bigRoom?.persistence],
    ['scenario 2', parley.smallRooms?.persistence],
  ] as const) {
    assert.ok(persistence, `scenario 5 measured during ${during}`);
    assert.ok(persistence.steps.length > 0 && persistence.acked > 0);
    assert.notEqual(persistence.drainMs, null, `${during}: the worker caught up`);
    assert.equal(persistence.ackedNotStored, 0, `${during}: every acked message reached Postgres`);
  }

  const idle = parley.idle;
  assert.ok(idle, 'scenario 3 produced no result');
  assert.equal(idle.connect.ok, idle.target);
  assert.equal(idle.held, idle.target);
  assert.equal(idle.rssPerSocket.filter((g) => g.sockets > 0).length, 2, 'sockets on both gateways');

  const storm = parley.storm;
  assert.ok(storm, 'scenario 4 produced no result');
  assert.equal(storm.connect.ok, storm.sockets);
  assert.ok(storm.connect.ratePerSecond > 0);

  for (const kind of ['relay', 'socketio'] as const) {
    const r = result.results[kind];
    if (!r?.available) continue;
    assert.deepEqual(r.failed, {}, `${kind}: no scenario failed`);
    assertPublishScenarios(kind, r);
  }

  const report = formatReport(result);
  for (const heading of ['Scenario 1', 'Scenario 2', 'Scenario 3', 'Scenario 4', 'Scenario 5']) assert.ok(report.includes(heading), heading);
  assert.doesNotThrow(() => JSON.stringify(result));
});
