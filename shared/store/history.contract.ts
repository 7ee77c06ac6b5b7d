/**
 * The behaviour every `History` must have (shared/ports.ts), as one suite run
 * against each implementation: PgMessageStore (the durable half),
 * MergedHistory (Postgres plus the room log) and AnnotatedHistory (edits and
 * reactions over the merged one). Every message the suite publishes is also
 * persisted, so all of them must answer alike; what only MergedHistory does
 * (read-your-writes before the worker) is tested beside it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatMessage, FileRef } from '../protocol/frames.js';
import type { History, HistoryPage, SeqGap } from '../ports.js';

export interface HistoryHarness {
  history: History;
  /** A new room, and a member who may publish in it. */
  room(): Promise<string>;
  /**
   * Publishes through the real publish path and persists what it published,
   * as the worker would; resolves the messages as history should show them.
   */
  publish(room: string, messages: { body: string; file?: FileRef }[]): Promise<ChatMessage[]>;
  /**
   * Does what a reseed after a Redis data loss does: records the skipped
   * range (SeqLedger) and moves the room's counter to its end, so the next
   * message is numbered after it.
   */
  skip(room: string, gap: SeqGap): Promise<void>;
  cleanup(): Promise<void>;
}

const texts = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ body: `message ${from + i}` }));
const seqs = (page: HistoryPage) => page.messages.map((m) => m.seq);

export function historyContract(name: string, make: () => Promise<HistoryHarness>): void {
  describe(`History contract: ${name}`, () => {
    const withHarness = (title: string, body: (h: HistoryHarness) => Promise<void>) =>
      it(title, async () => {
        const h = await make();
        try {
          await body(h);
        } finally {
          await h.cleanup();
        }
      });

    withHarness('an empty room has an empty last page', async (h) => {
      assert.deepEqual(await h.history.page(await h.room(), { limit: 10 }), { messages: [], nextBefore: null, gaps: [] });
    });

    withHarness('pages run newest first; `before` is exclusive; nextBefore is the lowest seq while older ones exist', async (h) => {
      const room = await h.room();
      const sent = await h.publish(room, texts(7));
      const newest = await h.history.page(room, { limit: 3 });
      assert.deepEqual(seqs(newest), [7, 6, 5]);
      assert.equal(newest.nextBefore, 5);
      assert.deepEqual(newest.messages, sent.slice(4).reverse(), 'as published');
      assert.deepEqual(seqs(await h.history.page(room, { before: 5, limit: 3 })), [4, 3, 2]);
      const last = await h.history.page(room, { before: 2, limit: 3 });
      assert.deepEqual([seqs(last), last.nextBefore], [[1], null]);
      assert.deepEqual(seqs(await h.history.page(room, { before: 1, limit: 3 })), []);
      assert.deepEqual(seqs(await h.history.page(room, { before: Number.MAX_SAFE_INTEGER, limit: 2 })), [7, 6]);
    });

    withHarness('walking every page returns each message once, in order, whatever the limit', async (h) => {
      const room = await h.room();
      const sent = await h.publish(room, texts(23));
      for (const limit of [1, 5, 23, 24, 100]) {
        const seen: ChatMessage[] = [];
        let before: number | undefined;
        do {
          const page = await h.history.page(room, { before, limit });
          assert.ok(page.messages.length <= limit);
          seen.push(...page.messages);
          before = page.nextBefore ?? undefined;
        } while (before !== undefined);
        assert.deepEqual(seen, [...sent].reverse(), `limit ${limit}`);
      }
    });

    withHarness('a file message carries its file; a text message has none', async (h) => {
      const room = await h.room();
      const file: FileRef = { id: crypto.randomUUID(), name: 'plan "v2" ✓.pdf', size: 4321, contentType: 'application/pdf' };
      await h.publish(room, [{ body: 'caption', file }, { body: 'plain' }]);
      const [text, withFile] = (await h.history.page(room, { limit: 10 })).messages;
      assert.deepEqual([withFile!.kind, withFile!.file, withFile!.body], ['file', file, 'caption']);
      assert.deepEqual([text!.kind, 'file' in text!], ['text', false]);
    });

    withHarness('the room id matches in any letter case', async (h) => {
      const room = await h.room();
      await h.publish(room, texts(2));
      assert.deepEqual(seqs(await h.history.page(room.toUpperCase(), { limit: 10 })), [2, 1]);
    });

    withHarness('a range skipped after a Redis data loss is reported as a gap by every page whose span it touches, and only those', async (h) => {
      const room = await h.room();
      await h.publish(room, texts(3));
      await h.skip(room, { from: 4, to: 103 });
      await h.publish(room, texts(2, 104));
      const all = await h.history.page(room, { limit: 10 });
      assert.deepEqual([seqs(all), all.gaps, all.nextBefore], [[105, 104, 3, 2, 1], [{ from: 4, to: 103 }], null]);
      // A full page's span ends at its lowest seq: a gap below it belongs to the next page.
      const newest = await h.history.page(room, { limit: 2 });
      assert.deepEqual([seqs(newest), newest.gaps, newest.nextBefore], [[105, 104], [], 104]);
      const older = await h.history.page(room, { before: 104, limit: 2 });
      assert.deepEqual([seqs(older), older.gaps], [[3, 2], [{ from: 4, to: 103 }]]);
      const inside = await h.history.page(room, { before: 50, limit: 10 });
      assert.deepEqual([seqs(inside), inside.gaps], [[3, 2, 1], [{ from: 4, to: 103 }]]);
    });
  });
}
