/**
 * The benchmark harness in smoke mode (a few hundred sockets, a few seconds
 * per scenario), so it cannot rot. It checks that every figure is produced
 * and that no acked message was lost; it asserts nothing about speed. Runs
 * parley, and a baseline too if its module is built: every scenario at tiny
 * scale, scenario 2's ladder with two steps (also on parley over a Redis
 * Cluster of 1 and of 3 primaries) and scenario 6's drain included; and
 * scenarios 1, 2 and 4 on parley through its Socket.IO endpoint.
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
  assert.equal(small.steps.length, 2, `${kind}: both rates of the smoke ladder ran (its limit is loose): ${small.stoppedBecause}`);
  for (const s of small.steps) {
    const what = `${kind} scenario 2 step ${s.step}`;
    assertNoLoss(what, s.loss);
    assert.ok(s.passed, `${what}: ${s.failedBecause.join('; ')}`);
    assert.ok(s.deliveriesPerSecond > 0 && s.latency.count > 0 && s.ackLatency.count > 0, `${what}: no deliveries or acks measured`);
    assert.ok(s.offered.sentPerSecond > 0 && s.offered.sendLag.count > 0, `${what}: offered load measured`);
    assert.ok(s.server.window.processes.length > 0 && s.server.serverCpuPercent >= s.server.targetCpuPercent, `${what}: server CPU measured`);
    assert.ok(s.generator.loopUtilisation.length > 0, `${what}: generator usage measured`);
  }
  assert.equal(small.highestSustainedRate, small.steps.at(-1)!.offeredRate, `${kind}: the highest passing step is the sustained rate`);

  const storm = r.storm;
  assert.ok(storm, `${kind}: scenario 4 produced no result`);
  assert.equal(storm.connect.ok, storm.sockets);
  assert.ok(storm.connect.ratePerSecond > 0);
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

  for (const s of parley.smallRooms!.steps) {
    const { serverCpuPercent, targetCpuPercent, window } = s.server;
    assert.ok(Math.abs(serverCpuPercent - targetCpuPercent - window.postgresCpuPercent) < 0.2, 'parley server CPU includes Postgres');
  }

  const drain = parley.drain;
  assert.ok(drain, 'scenario 6 produced no result');
  assert.ok(drain.fill.acked > 0, 'scenario 6: the fill was acked');
  assert.ok(drain.backlogBeforeWorker > 0, 'scenario 6: a backlog was built with no worker');
  assert.notEqual(drain.drain.seconds, null, 'scenario 6: the worker drained the backlog');
  assert.equal(drain.drain.backlogAtEnd, 0);
  assert.ok(drain.drain.rowsCommitted > 0 && drain.drain.rowsPerSecond !== null && drain.drain.batches > 0, 'scenario 6: drain rate and batches measured');
  assert.ok(drain.server.window.processes.some((p) => p.name === 'worker'), 'scenario 6: worker CPU measured');
  assert.equal(drain.ackedNotStored, 0, 'scenario 6: every acked message reached Postgres');

  // parley through its gateways' Socket.IO endpoint, and its ratios to parley on /v1/ws.
  const viaSocketIo = result.results['parley-socketio'];
  assert.ok(viaSocketIo?.available, 'parley-socketio is always available');
  assert.deepEqual(viaSocketIo.failed, {}, 'parley-socketio: no scenario failed');
  assertPublishScenarios('parley-socketio', viaSocketIo);
  assert.notEqual(result.ratios.socketIoTransport.parley?.smallRoomsSustainedRate ?? null, null, 'parley-socketio ÷ parley: S2 sustained-rate ratio computed');

  for (const kind of ['relay', 'socketio'] as const) {
    const r = result.results[kind];
    if (!r?.available) continue;
    assert.deepEqual(r.failed, {}, `${kind}: no scenario failed`);
    assertPublishScenarios(kind, r);
    assert.notEqual(result.ratios.stormConnectsPerSecond[kind], undefined, `${kind}: S4 connects/s ratio computed`);
    assert.ok(result.ratios.smallRoomsSustainedRate[kind] !== null, `${kind}: S2 sustained-rate ratio computed`);
  }

  // parley on a Redis Cluster of its own: scenario 2, read per primary.
  for (const [kind, primaries] of [['parley-cluster1', 1], ['parley-cluster3', 3]] as const) {
    const r = result.results[kind];
    assert.ok(r?.available, `${kind} is always available`);
    assert.deepEqual(r.failed, {}, `${kind}: no scenario failed`);
    assert.ok(r.smallRooms && r.smallRooms.steps.length > 0, `${kind}: scenario 2 produced no result`);
    for (const s of r.smallRooms.steps) {
      assertNoLoss(`${kind} scenario 2 step ${s.step}`, s.loss);
      assert.equal(s.redisNodes?.length, primaries, `${kind}: every primary read`);
      assert.equal(s.redisNodes.flatMap((n) => n.partitions).length, 8, `${kind}: every partition on one primary`);
      assert.ok(s.redisNodes.reduce((a, n) => a + n.spublishPerSecond, 0) > 0, `${kind}: SPUBLISH counted`);
      assert.ok(s.redisNodes.every((n) => s.server.window.processes.some((p) => p.name === n.name)), `${kind}: every primary's CPU measured`);
    }
  }

  const report = formatReport(result);
  for (const heading of ['Scenario 1', 'Scenario 2', 'Scenario 3', 'Scenario 4', 'Scenario 5', 'Scenario 6', 'Redis Cluster', 'parley-socketio ÷ baseline']) assert.ok(report.includes(heading), heading);
  assert.doesNotThrow(() => JSON.stringify(result));
});
