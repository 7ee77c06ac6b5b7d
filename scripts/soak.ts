/**
 * `npm run soak -- --minutes N`: a long run of the fault suite's cluster, kept
 * out of CI. A cluster (2 gateways, api, worker) on a redis-server of its
 * own, publishers and observers that follow the client procedure, and a fault
 * every `--fault-every` seconds in rotation: pub/sub links killed, Redis
 * restarted with its data, a gateway drained and started again. Every
 * `--sample` seconds it records each process's resident memory and open
 * files and the persistence backlog; at the end it checks the delivery
 * invariants (no seq given twice, every observer complete and in order,
 * Postgres == acks) and prints each series' slope: a leak shows as a steady
 * climb, where a healthy run levels off.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startService } from '../testkit/processes.js';
import { PARTITIONS, PERSIST_GROUP, redisKeys } from '../shared/redis/keys.js';
import { Observer, Publisher, inRanges, persisted, recordedGaps, seqsIn, startFaultCluster, type FaultCluster } from '../e2e/faults/harness.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'fault-every': { type: 'string', default: '60' },
    sample: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100' },
  },
});
const minutes = Number(values.minutes);
const faultEveryMs = Number(values['fault-every']) * 1000;
const sampleMs = Number(values.sample) * 1000;
const perSecond = Number(values.rate);
if (!(minutes > 0 && faultEveryMs > 0 && sampleMs > 0 && perSecond > 0)) {
  process.stderr.write('usage: npm run soak -- [--minutes 10] [--fault-every 60] [--sample 10] [--rate 100]\n');
  process.exit(2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}
const openFiles = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** Least-squares slope of (t, v) points, per minute. */
function slopePerMinute(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, [t]) => a + t, 0) / n;
  const mv = points.reduce((a, [, v]) => a + v, 0) / n;
  const num = points.reduce((a, [t, v]) => a + (t - mt) * (v - mv), 0);
  const den = points.reduce((a, [t]) => a + (t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60_000;
}

const FAULTS: { name: string; run(fc: FaultCluster): Promise<void> }[] = [
  { name: 'pub/sub links killed', run: async ({ redis }) => void (await redis.client().call('CLIENT', 'KILL', 'TYPE', 'pubsub')) },
  {
    name: 'Redis restarted with its data',
    run: async ({ redis }) => {
      await redis.stop('save');
      await sleep(1000);
      await redis.start();
    },
  },
  {
    name: 'gateway 1 drained and started again',
    run: async ({ cluster }) => {
      await cluster.gateways[1]!.kill('SIGTERM');
      const port = new URL(cluster.gatewayUrls[1]!).port;
      const jwks = `${cluster.apiUrl}/.well-known/jwks.json`;
      const fresh = await startService('gateway', { ...cluster.env, GATEWAY_PORT: port, AUTH_JWKS_URL: jwks }, { name: 'gateway-2' });
      cluster.adopt(fresh);
      cluster.gateways[1] = fresh;
    },
  },
];

async function main(): Promise<void> {
  const names = ['pub0', 'pub1', 'resuming0', 'resuming1', 'plain0', 'plain1'];
  const fc = await startFaultCluster(names);
  const { cluster: c, rooms, users } = fc;
  const urls = (first: number) => [c.gatewayUrls[first]!, c.gatewayUrls[1 - first]!];
  const observers = ['resuming0', 'resuming1', 'plain0', 'plain1'].map(
    (name, i) => new Observer(name, users.get(name)!, urls(i % 2), c.apiUrl, name.startsWith('resuming')),
  );
  const durationMs = minutes * 60_000;
  const total = Math.round((perSecond * durationMs) / 1000);
  const publishers = ['pub0', 'pub1'].map((name, i) => new Publisher(name, users.get(name)!, urls(i), c.apiUrl, rooms, { total, perSecond, window: 8 }));
  const series = new Map<string, [number, number][]>();
  const record = (name: string, t: number, v: number) => {
    if (!Number.isFinite(v)) return;
    if (!series.has(name)) series.set(name, []);
    series.get(name)!.push([t, v]);
  };
  const keys = redisKeys(c.redis.config.keyPrefix);
  const started = Date.now();
  let stop = false;

  const sampler = (async () => {
    while (!stop) {
      const t = Date.now() - started;
      const processes = [c.api, c.worker, ...c.gateways].map((p, i) => [i < 2 ? p.name : `gateway${i - 2}`, p.child.pid] as const);
      for (const [name, pid] of processes) {
        if (pid === undefined) continue;
        try {
          record(`${name} RSS (KB)`, t, rssKb(pid));
          record(`${name} open files`, t, openFiles(pid));
        } catch {
          // restarting
        }
      }
      try {
        let pending = 0;
        let backlog = 0;
        for (let p = 0; p < PARTITIONS; p++) {
          backlog += await c.redis.redis.xlen(keys.persistStream(p));
          const summary = (await c.redis.redis.xpending(keys.persistStream(p), PERSIST_GROUP).catch(() => [0])) as [number];
          pending += Number(summary[0]);
        }
        record('persistence backlog (entries)', t, backlog);
        record('pending entries (read, not acked)', t, pending);
      } catch {
        // Redis restarting
      }
      await sleep(sampleMs);
    }
  })();

  for (const o of observers) await o.start();
  log(`soak: ${minutes} min, ${perSecond} msg/s per publisher, a fault every ${faultEveryMs / 1000} s`);
  const running = Promise.all(publishers.map((p) => p.run()));
  let fault = 0;
  let done = false;
  void running.then(() => (done = true));
  while (!done) {
    await Promise.race([sleep(faultEveryMs), running]);
    if (done) break;
    const f = FAULTS[fault++ % FAULTS.length]!;
    log(`fault: ${f.name}`);
    await f.run(fc);
  }
  log('publishing done; checking');

  const acks = publishers.flatMap((p) => p.acks);
  const problems: string[] = [];
  const bySeq = new Map<string, string>();
  for (const a of acks) {
    const key = `${a.room}:${a.seq}`;
    if (bySeq.has(key) && bySeq.get(key) !== a.id) problems.push(`seq ${key} acked for two messages`);
    bySeq.set(key, a.id);
  }
  await sleep(5000);
  const rows = new Map((await persisted(c, rooms)).map((r) => [`${r.room}:${r.seq}`, r.id]));
  for (const [key, id] of bySeq) if (rows.get(key) !== id) problems.push(`acked ${key} is not in Postgres as acked`);
  for (const o of observers) {
    await o.seen.settled();
    for (const room of rooms) {
      const gaps = await recordedGaps(c, room);
      const got = new Set((o.seen.delivered.get(room) ?? []).map((m) => m.seq));
      const missing = seqsIn(acks, room).filter((s) => !got.has(s) && !inRanges(s, gaps));
      if (missing.length > 0) problems.push(`${o.name} lacks ${missing.length} acked messages of ${room}`);
      if ((o.seen.skipped.get(room) ?? []).length > 0) problems.push(`${o.name} had to skip ranges in ${room}`);
    }
  }
  stop = true;
  await sampler;
  for (const p of publishers) p.stop();
  for (const o of observers) o.stop();
  await fc.stop();

  process.stdout.write(`\nacked messages: ${new Set(acks.map((a) => `${a.room}:${a.seq}`)).size}, faults: ${fault}\n\n`);
  process.stdout.write('| series | first | last | slope per minute |\n|---|---|---|---|\n');
  for (const [name, points] of series) {
    process.stdout.write(`| ${name} | ${points[0]![1]} | ${points.at(-1)![1]} | ${slopePerMinute(points).toFixed(1)} |\n`);
  }
  if (problems.length > 0) {
    process.stdout.write(`\nFAILED:\n${problems.slice(0, 50).map((p) => `- ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write('\nevery invariant held\n');
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
