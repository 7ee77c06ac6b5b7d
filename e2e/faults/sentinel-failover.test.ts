/**
 * Sentinel failover under load. api, gateways and worker use the Sentinel
 * topology (REDIS_SENTINELS, REDIS_SENTINEL_NAME) of a setup of the test's
 * own: 1 primary, 1 replica, 3 sentinels (testkit/redis-sentinel.ts). While
 * the fault suite's publishers and observers run, the primary is killed
 * (SIGKILL); the sentinels promote the replica; nothing of parley restarts.
 *
 * Just before the kill, the replica falls behind on purpose, as a lagging
 * replica would: it is frozen and its link to the primary cut (CLIENT KILL
 * TYPE replica), so the primary's last LAG_MS of writes never reach it. Run
 * once with REDIS_ACK_REPLICAS=0 (acks do not wait for the replica: what the
 * worker had not persisted yet of those writes is lost, and must be reported
 * as a gap) and once with 1 (acks wait for the replica: nothing acked is
 * lost; the publishes of the window get `unavailable` and are retried).
 * After the failover the killed node comes back as a replica of the new
 * primary, as a supervisor would restart it; with 1 ack replica and only one
 * replica, writes wait for it.
 *
 * Beyond the scenario's checks (no seq acked twice, every acked message
 * persisted and delivered or inside a reported gap, observers in order,
 * presence), history is read back: one message per seq, every acked seq
 * holds the acked message or lies in a gap. The figures are printed as test
 * diagnostics; docs/protocol.md ("What an ack promises") quotes them.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { RedisClient } from '../../shared/redis/connect.js';
import { startRedisSentinel, type OwnSentinel } from '../../testkit/redis-sentinel.js';
import type { HistoryResponse } from '../../shared/http/schemas.js';
import type { SeqRange } from '../../shared/protocol/frames.js';
import { inRanges, scrape, sleep, startFaultClusterOn, type FaultCluster } from './harness.js';
import { runScenarioOn } from './scenario.js';

/** How long the primary takes writes the replica never gets. */
const LAG_MS = 400;

interface Figures {
  ackReplicas: number;
  /** Acks received while the replica was cut off (from LAG_MS before the kill). */
  ackedInWindow: number;
  /** Replication bytes the replica missed. */
  missedBytes: number;
  /** From the kill until every sentinel names the new primary. */
  failoverMs: number;
  /** The longest time without any ack, around the fault. */
  longestAckPauseMs: number;
  /** Acked messages neither in Postgres nor anywhere else: each inside a reported gap. */
  lostAcked: number;
  /** Seqs skipped (recorded gaps), all rooms. */
  skipped: number;
}

async function offsetOf(redis: RedisClient): Promise<number> {
  return Number(/^master_repl_offset:(\d+)/m.exec(await redis.info('replication'))?.[1] ?? 0);
}

/** Every message and gap of a room's history, page by page. */
async function readHistory(fc: FaultCluster<OwnSentinel>, room: string, token: string): Promise<{ bySeq: Map<number, string>; gaps: SeqRange[] }> {
  const bySeq = new Map<number, string>();
  const gaps: SeqRange[] = [];
  let before: number | null = null;
  do {
    const page: { status: number; body: HistoryResponse } = await fc.cluster.get<HistoryResponse>(`/v1/rooms/${room}/messages?limit=100${before === null ? '' : `&before=${before}`}`, token);
    assert.equal(page.status, 200);
    for (const m of page.body.messages) {
      assert.ok(!bySeq.has(m.seq) || bySeq.get(m.seq) === m.id, `history of ${room} has two messages at seq ${m.seq}`);
      bySeq.set(m.seq, m.id);
    }
    for (const g of page.body.gaps) if (!gaps.some((x) => x.from === g.from && x.to === g.to)) gaps.push(g);
    before = page.body.nextBefore;
  } while (before !== null);
  return { bySeq, gaps };
}

async function failover(t: TestContext, ackReplicas: number): Promise<Figures> {
  const figures: Figures = { ackReplicas, ackedInWindow: 0, missedBytes: 0, failoverMs: 0, longestAckPauseMs: 0, lostAcked: 0, skipped: 0 };
  let cutAt = 0;
  let killedAt = 0;
  await runScenarioOn(
    async (names) => {
      const setup = await startRedisSentinel();
      const primary = await setup.primary();
      return startFaultClusterOn(names, setup, { redisUrl: primary.url, redisTopology: setup.topology }, { REDIS_ACK_REPLICAS: String(ackReplicas), REDIS_ACK_TIMEOUT_MS: '250' });
    },
    {
      mayLoseData: true,
      fault: async ({ redis: setup }) => {
        const old = await setup.primary();
        const replica = setup.nodes.find((n) => n !== old)!;
        const direct = old.client();
        // The replica falls behind: frozen, so it cannot reconnect, and cut off.
        replica.pause();
        await direct.call('CLIENT', 'KILL', 'TYPE', 'replica');
        cutAt = Date.now();
        const cutOffset = await offsetOf(direct);
        await sleep(LAG_MS);
        figures.missedBytes = (await offsetOf(direct)) - cutOffset;
        killedAt = Date.now();
        await old.stop('kill');
        replica.resume();
        const promoted = await setup.failedOver(old);
        figures.failoverMs = Date.now() - killedAt;
        t.diagnostic(`killed port ${old.port} at +0 ms; the sentinels promoted port ${promoted.port} at +${figures.failoverMs} ms`);
        // The killed node comes back empty, as a replica of the new primary (never as an empty primary).
        await old.start({ replicaOf: promoted });
        await setup.replicating(old);
        t.diagnostic(`port ${old.port} replicates the new primary again at +${Date.now() - killedAt} ms`);
      },
      check: async (fc, { acks, lost, gaps }) => {
        const { cluster, rooms, users } = fc;
        assert.ok(cutAt > 0 && killedAt > 0, 'the fault ran');
        figures.ackedInWindow = acks.filter((a) => a.at >= cutAt && a.at <= killedAt).length;
        const times = acks.map((a) => a.at).sort((a, b) => a - b);
        for (let i = 1; i < times.length; i++) figures.longestAckPauseMs = Math.max(figures.longestAckPauseMs, times[i]! - times[i - 1]!);
        figures.lostAcked = lost.length;
        for (const ranges of gaps.values()) for (const g of ranges) figures.skipped += g.to - g.from + 1;

        if (ackReplicas === 0) {
          // Acks went on without the replica, and the sentinels promoted a replica that lacked
          // writes gateways had relayed: the seq regression was noticed and the loss reported.
          assert.ok(figures.ackedInWindow > 0, 'acks while the replica was cut off');
          assert.ok((await scrape(cluster, 'parley_redis_data_loss_total')) >= 1, 'the loss is counted');
        } else {
          assert.equal(lost.length, 0, 'with REDIS_ACK_REPLICAS=1, a failover to the replica loses no acked message');
        }

        // History: one message per seq, and every acked seq holds the acked message or lies in a gap.
        const token = users.get('resuming0')!.accessToken;
        for (const room of rooms) {
          const history = await readHistory(fc, room, token);
          for (const a of acks.filter((x) => x.room === room)) {
            const id = history.bySeq.get(a.seq);
            if (id !== undefined) assert.equal(id, a.id, `history of ${room} holds another message at acked seq ${a.seq}`);
            else assert.ok(inRanges(a.seq, history.gaps), `acked seq ${a.seq} of ${room} neither in history nor in a gap`);
          }
        }
      },
    },
  );
  return figures;
}

for (const ackReplicas of [0, 1]) {
  test(
    `Sentinel failover (primary killed, lagging replica promoted), REDIS_ACK_REPLICAS=${ackReplicas}: clients go on, no seq reused, every loss reported`,
    { timeout: 180_000 },
    async (t) => {
      const f = await failover(t, ackReplicas);
      t.diagnostic(
        `REDIS_ACK_REPLICAS=${f.ackReplicas}: replica cut off ${LAG_MS} ms before the kill (missed ${f.missedBytes} replication bytes); ` +
          `${f.ackedInWindow} acks in that window; failover ${f.failoverMs} ms; longest pause between acks ${f.longestAckPauseMs} ms; ` +
          `acked messages lost ${f.lostAcked} (all inside reported gaps); seqs skipped ${f.skipped}`,
      );
    },
  );
}
