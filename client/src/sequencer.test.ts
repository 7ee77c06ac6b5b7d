/**
 * The sequencer's rules on their own, with a history in memory standing in
 * for the api (e2e/resume.test.ts and e2e/faults/ run it against real
 * servers): order and dedup, the gap timer, history gaps, and giving up.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryResponse } from '../../shared/http/schemas.js';
import type { ChatMessage, SeqRange } from '../../shared/protocol/frames.js';
import { Sequencer } from './sequencer.js';
import type { FillReason } from './types.js';

const ROOM = '00000000-0000-4000-8000-0000000000aa';
const msg = (seq: number): ChatMessage => ({
  id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
  room: ROOM,
  seq,
  kind: 'text',
  from: { id: '00000000-0000-4000-8000-0000000000bb', username: 'alice' },
  body: `m${seq}`,
  cmid: `c${seq}`,
  createdAt: new Date(0).toISOString(),
});

/** A sequencer over an in-memory history holding `stored` seqs and `gaps`. */
function setup(stored: number[], gaps: SeqRange[] = [], options = { gapWaitMs: 30, historyRetryMs: 5, historyAttempts: 3 }) {
  const delivered: number[] = [];
  const skipped: SeqRange[] = [];
  const fills: [SeqRange, FillReason][] = [];
  const done: Promise<void>[] = [];
  let reads = 0;
  const history = async (_room: string, before: number, limit: number): Promise<HistoryResponse> => {
    reads++;
    const below = stored.filter((s) => s < before).sort((a, b) => b - a);
    const page = below.slice(0, limit);
    return { messages: page.map(msg), nextBefore: below.length > limit ? page.at(-1)! : null, gaps };
  };
  const seq = new Sequencer(
    {
      history,
      deliver: (m) => delivered.push(m.seq),
      skip: (_room, range) => skipped.push(range),
      fill: (_room, range, reason, work) => {
        fills.push([range, reason]);
        done.push(work);
      },
      error: (err) => assert.fail(err),
    },
    options,
  );
  const settled = async () => {
    while (done.length > 0) await done.shift();
  };
  return { seq, delivered, skipped, fills, settled, reads: () => reads };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('sequencer', () => {
  test('delivers each seq once, in order, whatever order they come in', () => {
    const { seq, delivered } = setup([]);
    seq.setLast(ROOM, 0);
    for (const s of [2, 1, 1, 3, 2, 5, 4]) seq.accept(msg(s));
    assert.deepEqual(delivered, [1, 2, 3, 4, 5]);
    assert.equal(seq.lastSeq(ROOM), 5);
  });

  test('a room first seen live starts at its first message; unknown rooms have no position', () => {
    const { seq, delivered } = setup([]);
    assert.equal(seq.lastSeq(ROOM), undefined);
    assert.deepEqual(seq.positions([ROOM]), []);
    seq.accept(msg(7));
    seq.accept(msg(8));
    assert.deepEqual(delivered, [7, 8]);
    assert.deepEqual(seq.positions([ROOM, 'other']), [{ room: ROOM, after: 8 }]);
  });

  test('a hole the server never names waits gapWaitMs, then is read from history', async () => {
    const { seq, delivered, fills, settled } = setup([1, 2, 3, 4, 5]);
    seq.setLast(ROOM, 1);
    seq.accept(msg(5));
    assert.deepEqual(delivered, []);
    await sleep(60);
    await settled();
    assert.deepEqual(fills, [[{ from: 2, to: 4 }, 'timer']]);
    assert.deepEqual(delivered, [2, 3, 4, 5]);
  });

  test('a hole the gateway fills in time needs no history', async () => {
    const { seq, delivered, fills } = setup([]);
    seq.setLast(ROOM, 1);
    seq.accept(msg(3));
    seq.accept(msg(2));
    await sleep(60);
    assert.deepEqual(fills, []);
    assert.deepEqual(delivered, [2, 3]);
  });

  test('a named gap is read at once, across pages, and ranges history lists as gaps are jumped', async () => {
    const stored = [...Array.from({ length: 250 }, (_, i) => i + 1).filter((s) => s < 100 || s > 120)];
    const { seq, delivered, fills, settled, skipped } = setup(stored, [{ from: 100, to: 120 }]);
    seq.setLast(ROOM, 0);
    seq.accept(msg(251));
    seq.fill(ROOM, { from: 1, to: 250 }, 'gap');
    await settled();
    assert.deepEqual(fills, [[{ from: 1, to: 250 }, 'gap']]);
    assert.deepEqual(delivered, [...stored, 251]);
    assert.deepEqual(skipped, []);
  });

  test('what history never has is skipped after historyAttempts reads, and delivery goes on', async () => {
    const { seq, delivered, skipped, settled, reads } = setup([1, 2, 4]);
    seq.setLast(ROOM, 0);
    seq.accept(msg(5));
    seq.fill(ROOM, { from: 1, to: 4 }, 'resumed');
    await settled();
    assert.deepEqual(skipped, [{ from: 3, to: 3 }], 'only what history lacks');
    assert.deepEqual(delivered, [1, 2, 4, 5]);
    assert.equal(reads(), 3);
  });

  test('setLast places a room (forward and back); forget and reset drop it', () => {
    const { seq, delivered } = setup([]);
    seq.accept(msg(3));
    seq.setLast(ROOM, 10);
    seq.accept(msg(10));
    seq.accept(msg(11));
    assert.deepEqual(delivered, [3, 11]);
    seq.forget(ROOM);
    assert.equal(seq.lastSeq(ROOM), undefined);
    seq.setLast(ROOM, 4);
    seq.reset();
    assert.deepEqual(seq.positions([ROOM]), []);
  });
});
