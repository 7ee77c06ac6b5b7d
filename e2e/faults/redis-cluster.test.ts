/**
 * Redis Cluster faults under load. api, gateways and worker use the Cluster
 * topology (REDIS_CLUSTER_NODES) of a cluster of the test's own: 3
 * primaries, no replicas, the slots split so that parley's 8 partitions
 * spread over all of them (testkit/redis-cluster.ts). The fault suite's
 * publishers and observers (scenario.ts) use rooms in every partition, so
 * every shard carries traffic, while one of:
 * - a primary is shut down with its data saved and started again on the
 *   same port and directory (it keeps its data and, through nodes.conf, its
 *   identity and slots): nothing acked is lost, nothing is reported lost;
 * - a primary is killed and started again empty (no persistence): acked
 *   messages of its partitions that were not persisted yet may be lost, but
 *   only inside reported gaps, and the other shards lose nothing;
 * - a primary with a replica is killed for good: the cluster promotes the
 *   replica, the clients find it in the slot map and the gateways resync;
 *   acked messages the replica had not received may be lost, only in that
 *   shard's partitions and inside reported gaps;
 * - a partition's slot, holding an active room, moves to another primary
 *   (reshard): publishes meeting the migration are redirected or retried,
 *   nothing is lost or reported lost.
 * Beyond the scenario's checks (no seq acked twice, every acked message
 * persisted and delivered in order or inside a reported gap), every
 * gateway's /readyz is 200 again afterwards. The figures are printed as test
 * diagnostics.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { partitionSlot, startRedisCluster, type OwnCluster } from '../../testkit/redis-cluster.js';
import { eventually } from '../../testkit/processes.js';
import { PARTITIONS, partitionOf } from '../../shared/redis/keys.js';
import { recordedGaps, scrape, sleep, startFaultClusterOn, type FaultCluster } from './harness.js';
import { runScenarioOn, type RunRecord, type Scenario } from './scenario.js';

/** A cluster of 3 primaries (with `replicas` each), and the fault cluster on it with one room in each partition. */
async function start(names: readonly string[], replicas = 0): Promise<FaultCluster<OwnCluster>> {
  const redis = await startRedisCluster({ primaries: 3, slots: 'partitions', nodeTimeoutMs: 2000, replicas });
  return startFaultClusterOn(names, redis, { redisUrl: redis.nodes[0]!.url, redisTopology: redis.topology }, {}, PARTITIONS);
}

/** The partitions whose slots `node` serves. */
const partitionsOn = (redis: OwnCluster, node: number): Set<number> =>
  new Set(Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => redis.nodeOfSlot(partitionSlot(p)) === redis.nodes[node]));

async function readyAgain(fc: FaultCluster<OwnCluster>): Promise<void> {
  for (const gw of fc.cluster.gateways) {
    await eventually(`${gw.name} /readyz 200`, async () => ((await fetch(`http://127.0.0.1:${gw.opsPort}/readyz`)).status === 200 ? true : undefined), 30_000);
  }
}

interface Timeline {
  faultStart: number;
  faultEnd: number;
}

/** Runs `scenario` on a fresh cluster and prints its figures; resolves what the check saw. */
async function run(t: TestContext, scenario: Scenario<OwnCluster>, timeline: Timeline, extra: () => string, replicas = 0): Promise<void> {
  let record: RunRecord | undefined;
  let repairs = 0;
  let losses = 0;
  await runScenarioOn((names) => start(names, replicas), {
    ...scenario,
    check: async (fc, r) => {
      record = r;
      assert.ok(timeline.faultEnd >= timeline.faultStart && timeline.faultStart > 0, 'the fault ran');
      await scenario.check(fc, r);
      await readyAgain(fc);
      repairs = await scrape(fc.cluster, 'parley_gateway_gap_repairs_total');
      losses = await scrape(fc.cluster, 'parley_redis_data_loss_total');
    },
  });
  // The scenario checked the observers after `check`: their counts are final now.
  const r = record!;
  const times = r.acks.map((a) => a.at).sort((a, b) => a - b);
  let pause = 0;
  for (let i = 1; i < times.length; i++) pause = Math.max(pause, times[i]! - times[i - 1]!);
  let skipped = 0;
  for (const ranges of r.gaps.values()) for (const g of ranges) skipped += g.to - g.from + 1;
  const acked = new Set(r.acks.map((a) => a.cmid)).size;
  const delivered = r.observers.map((o) => `${o.name} ${[...o.seen.delivered.values()].reduce((n, ms) => n + ms.length, 0)}`).join(', ');
  t.diagnostic(
    `${acked} messages acked in ${PARTITIONS} rooms (one per partition), ${r.acks.filter((a) => a.at >= timeline.faultStart && a.at <= timeline.faultEnd).length} acks during the fault ` +
      `(${timeline.faultEnd - timeline.faultStart} ms); longest pause between acks ${pause} ms; delivered per observer: ${delivered}; ` +
      `acked messages lost ${r.lost.length} (all inside reported gaps); seqs skipped ${skipped}; gap repairs ${repairs}; data losses counted ${losses}; ${extra()}`,
  );
}

test('Redis Cluster: a primary restarted with its data kept: every acked message persisted and delivered once, in order', { timeout: 180_000 }, async (t) => {
  const timeline: Timeline = { faultStart: 0, faultEnd: 0 };
  let partitions = new Set<number>();
  await run(
    t,
    {
      fault: async ({ redis }) => {
        // The primary of partition 0, whose slot also carries the control channel.
        const node = redis.nodes.indexOf(redis.nodeOfSlot(partitionSlot(0)));
        partitions = partitionsOn(redis, node);
        timeline.faultStart = Date.now();
        await redis.nodes[node]!.stop('save');
        await sleep(1000);
        await redis.nodes[node]!.start();
        await redis.healthy();
        timeline.faultEnd = Date.now();
      },
      check: async ({ cluster, rooms }, { lost }) => {
        assert.equal(lost.length, 0, 'a restart that kept the data loses nothing');
        assert.equal(await scrape(cluster, 'parley_redis_data_loss_total'), 0, 'and is no loss');
        for (const room of rooms) assert.deepEqual(await recordedGaps(cluster, room), [], `no gap in room of partition ${partitionOf(room)}`);
      },
    },
    timeline,
    () => `restarted the primary of partitions ${[...partitions].join(',')}`,
  );
});

test('Redis Cluster: a primary killed and restarted empty: no seq reused, every loss inside a reported gap, other shards lose nothing', { timeout: 180_000 }, async (t) => {
  const timeline: Timeline = { faultStart: 0, faultEnd: 0 };
  let partitions = new Set<number>();
  await run(
    t,
    {
      mayLoseData: true,
      fault: async ({ redis }) => {
        const node = redis.nodes.indexOf(redis.nodeOfSlot(partitionSlot(1)));
        partitions = partitionsOn(redis, node);
        timeline.faultStart = Date.now();
        await redis.nodes[node]!.stop('kill');
        // Its data is gone; nodes.conf (identity, slots) stays in the directory.
        await redis.nodes[node]!.start({ wipe: true });
        await redis.healthy();
        timeline.faultEnd = Date.now();
      },
      check: async ({ cluster, rooms }, { lost }) => {
        assert.ok(partitions.size > 0);
        assert.ok((await scrape(cluster, 'parley_redis_data_loss_total')) >= 1, 'the loss is counted');
        for (const a of lost) assert.ok(partitions.has(partitionOf(a.room)), `acked seq ${a.seq} lost in partition ${partitionOf(a.room)}, whose shard kept its data`);
        for (const room of rooms) {
          const gaps = await recordedGaps(cluster, room);
          if (partitions.has(partitionOf(room))) assert.equal(gaps.length, 1, `one skipped range in the room of wiped partition ${partitionOf(room)}`);
          else assert.deepEqual(gaps, [], `no gap in the room of partition ${partitionOf(room)}, whose shard kept its data`);
        }
        assert.ok((await scrape(cluster, 'parley_gateway_gaps_announced_total')) >= 1, 'live sockets were told');
      },
    },
    timeline,
    () => `killed the primary of partitions ${[...partitions].join(',')}`,
  );
});

test('Redis Cluster: a partition slot migrated to another primary mid-run: nothing lost or duplicated, every publish acked', { timeout: 180_000 }, async (t) => {
  const timeline: Timeline = { faultStart: 0, faultEnd: 0 };
  const slot = partitionSlot(0);
  let moved = 0;
  let from = -1;
  let to = -1;
  await run(
    t,
    {
      fault: async ({ redis }) => {
        from = redis.nodes.indexOf(redis.nodeOfSlot(slot));
        to = (from + 1) % redis.nodes.length;
        timeline.faultStart = Date.now();
        // Small batches with pauses: publishes meet the slot half moved (ASK, TRYAGAIN).
        moved = await redis.migrateSlot(slot, to, { batch: 10, pauseMs: 50 });
        timeline.faultEnd = Date.now();
      },
      check: async ({ redis, cluster, rooms }, { lost }) => {
        assert.ok(moved > 0, 'the slot held keys');
        assert.equal(redis.nodeOfSlot(slot), redis.nodes[to]);
        const counts = await Promise.all([from, to].map((i) => redis.nodes[i]!.client().call('CLUSTER', 'COUNTKEYSINSLOT', slot)));
        assert.equal(Number(counts[0]), 0, 'the old owner holds none of the slot\'s keys');
        assert.ok(Number(counts[1]) > 0, 'the new owner holds them');
        assert.equal(lost.length, 0, 'a migration loses nothing');
        assert.equal(await scrape(cluster, 'parley_redis_data_loss_total'), 0, 'and is no loss');
        for (const room of rooms) assert.deepEqual(await recordedGaps(cluster, room), [], `no gap in room of partition ${partitionOf(room)}`);
      },
    },
    timeline,
    () => `moved slot ${slot} (partition 0) from node ${from} to node ${to}: ${moved} keys`,
  );
});

test('Redis Cluster: a primary killed for good, its replica promoted: clients go on, losses only in its partitions and reported', { timeout: 180_000 }, async (t) => {
  const timeline: Timeline = { faultStart: 0, faultEnd: 0 };
  let partitions = new Set<number>();
  let promotedAfter = 0;
  await run(
    t,
    {
      mayLoseData: true,
      fault: async ({ redis }) => {
        const node = redis.nodes.indexOf(redis.nodeOfSlot(partitionSlot(2)));
        partitions = partitionsOn(redis, node);
        const replica = redis.replicas[node]![0]!.client();
        timeline.faultStart = Date.now();
        await redis.nodes[node]!.stop('kill');
        // cluster-node-timeout (2 s) judges it failed, then its replica is elected.
        await eventually('the replica promoted', async () => (/role:master/.test(await replica.info('replication')) ? true : undefined), 30_000);
        promotedAfter = Date.now() - timeline.faultStart;
        timeline.faultEnd = Date.now();
      },
      check: async (_fc, { lost }) => {
        assert.ok(partitions.size > 0);
        for (const a of lost) assert.ok(partitions.has(partitionOf(a.room)), `acked seq ${a.seq} lost in partition ${partitionOf(a.room)}, whose primary did not fail`);
      },
    },
    timeline,
    () => `killed the primary of partitions ${[...partitions].join(',')}; its replica was primary after ${promotedAfter} ms`,
    1,
  );
});
