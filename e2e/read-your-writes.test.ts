/**
 * Read-your-writes through real processes: with the worker stopped, a message
 * is in `GET /v1/rooms/{id}/messages` as soon as its ack arrives (served from
 * the Redis room log); once a worker runs again it lands in Postgres exactly
 * once, and history still returns it exactly once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParleySocket } from '../shared/client/socket.js';
import { GLOBAL_ROOM_ID, type HistoryResponse, type TokenResponse } from '../shared/http/schemas.js';
import { eventually, startService, type ServiceProcess } from '../testkit/processes.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

describe('read-your-writes history', () => {
  let c: Cluster;
  let alice: TokenResponse;
  let ws: ParleySocket;
  let restarted: ServiceProcess | undefined;
  const acked: { id: string; seq: number; body: string }[] = [];

  const history = async (): Promise<HistoryResponse> => {
    const res = await c.get<HistoryResponse>(`/v1/rooms/${GLOBAL_ROOM_ID}/messages?limit=100`, alice.accessToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const stored = async (id: string) =>
    (await c.db.sql<{ n: number }[]>`select count(*)::int as n from messages where id = ${id}`)[0]!.n;

  before(async () => {
    c = await startCluster({ gateways: 1 });
    alice = await c.user('alice');
    ws = await c.connect(0, alice.accessToken);
    await ws.next('welcome');
  });
  after(async () => {
    await ws?.close();
    await restarted?.kill('SIGKILL');
    await c?.stop();
  });

  test('with the worker stopped, every acked message is in history as soon as its ack arrives', async () => {
    assert.deepEqual(await c.worker.kill(), { code: 0, signal: null }, 'the worker stops cleanly on SIGTERM');
    for (let i = 1; i <= 3; i++) {
      const body = `acked ${i}`;
      ws.send({ type: 'publish', ref: `p${i}`, room: GLOBAL_ROOM_ID, cmid: `ryw-${i}`, body });
      const ack = await ws.next('ack', (f) => f.ref === `p${i}`);
      acked.push({ id: ack.id, seq: ack.seq, body });

      const page = await history();
      assert.deepEqual(
        page.messages.map((m) => ({ id: m.id, seq: m.seq, body: m.body })),
        [...acked].reverse(),
        'history holds every acked message, newest first',
      );
      assert.equal(page.nextBefore, null);
      // No worker runs, so this can only have come from the room log.
      assert.equal(await stored(ack.id), 0);
    }
  });

  test('a restarted worker persists them exactly once, and history still returns each once', async () => {
    restarted = await startService('worker', c.env, { name: 'worker-2' });
    await eventually(
      'the restarted worker to persist the acked messages',
      async () => ((await Promise.all(acked.map((m) => stored(m.id)))).every((n) => n > 0) ? true : undefined),
      30_000,
    );
    const rows = await c.db.sql<{ id: string; seq: number; body: string }[]>`
      select id, seq, body from messages where room_id = ${GLOBAL_ROOM_ID} order by seq
    `;
    assert.deepEqual(rows.map((r) => ({ ...r })), acked, 'each message stored once, at its seq');

    const page = await history();
    assert.deepEqual(page.messages.map((m) => ({ id: m.id, seq: m.seq, body: m.body })), [...acked].reverse());
    assert.equal(new Set(page.messages.map((m) => m.id)).size, page.messages.length, 'no duplicates');

    await restarted.kill('SIGTERM');
    assert.deepEqual(await restarted.exited, { code: 0, signal: null });
  });
});
