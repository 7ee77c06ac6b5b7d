/**
 * What every upload storage (a tus DataStore and the UploadContent reading it
 * back) must do for parley, as one suite run against each implementation:
 * local files and S3. The store writes through tus's own DataStore interface,
 * exactly as @tus/server drives it, including a resumed second PATCH.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { Upload } from '@tus/utils';
import { eventually } from '../../testkit/processes.js';
import { ContentMissing } from './content.js';
import type { UploadStorage } from './storage.js';

export interface StorageHarness {
  storage: UploadStorage;
  /**
   * The smallest write that the store persists as a whole unit (S3: the part
   * size). The resume test splits an upload across that boundary, so that
   * both complete and incomplete parts are exercised.
   */
  unitBytes: number;
  /** The store's expiry (UPLOADS_EXPIRE_MS): short, as the expiry test waits it out. */
  expireAfterMs: number;
  cleanup(): Promise<void>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Creates an upload and writes `bytes` in the given slices, each from the offset the store reports (a tus resume). */
async function upload(storage: UploadStorage, bytes: Buffer, slices: number[]): Promise<string> {
  const id = randomUUID().replace(/-/g, '');
  await storage.store.create(new Upload({ id, size: bytes.length, offset: 0, metadata: {}, creation_date: new Date().toISOString() }));
  let at = 0;
  for (const length of slices) {
    const offset = (await storage.store.getUpload(id)).offset;
    assert.equal(offset, at, 'the store reports every byte written so far');
    at = await storage.store.write(Readable.from([bytes.subarray(offset, offset + length)]), id, offset);
  }
  assert.equal(at, bytes.length);
  return id;
}

export function uploadStorageContract(name: string, makeHarness: () => Promise<StorageHarness>): void {
  describe(`upload storage contract: ${name}`, () => {
    let h: StorageHarness;
    let id: string;
    let bytes: Buffer;
    before(async () => {
      h = await makeHarness();
      bytes = randomBytes(h.unitBytes + 1_234_567);
      // Across the unit boundary first, then the rest: a resumed upload.
      id = await upload(h.storage, bytes, [h.unitBytes + 1000, bytes.length - h.unitBytes - 1000]);
    });
    after(() => h.cleanup());

    it('a resumed upload reads back byte-identical', async () => {
      assert.equal(sha(await collect(await h.storage.content.read(id))), sha(bytes));
    });

    it('reports the finished upload with its full size and offset', async () => {
      const info = await h.storage.store.getUpload(id);
      assert.equal(info.offset, bytes.length);
      assert.equal(info.size, bytes.length);
    });

    it('reads exactly the requested inclusive byte range', async () => {
      for (const [start, end] of [
        [0, 0],
        [h.unitBytes - 10, h.unitBytes + 10],
        [bytes.length - 1, bytes.length - 1],
        [0, bytes.length - 1],
      ] as const) {
        const got = await collect(await h.storage.content.read(id, { start, end }));
        assert.ok(got.equals(bytes.subarray(start, end + 1)), `bytes ${start}-${end}`);
      }
    });

    it('serves parallel reads of the same content independently', async () => {
      const reads = await Promise.all(Array.from({ length: 8 }, async () => sha(await collect(await h.storage.content.read(id)))));
      assert.deepEqual(new Set(reads), new Set([sha(bytes)]));
    });

    it('rejects an unknown key with ContentMissing', async () => {
      await assert.rejects(h.storage.content.read('no-such-upload'), ContentMissing);
      await assert.rejects(h.storage.content.read('../../etc/passwd'), ContentMissing);
    });

    it('a small upload written in one request reads back', async () => {
      const small = Buffer.from('hello, parley\n');
      const smallId = await upload(h.storage, small, [small.length]);
      assert.ok((await collect(await h.storage.content.read(smallId))).equals(small));
    });

    it('an unfinished upload past its expiry is deleted by deleteExpired; finished ones stay', async () => {
      const pid = randomUUID().replace(/-/g, '');
      await h.storage.store.create(new Upload({ id: pid, size: 5000, offset: 0, metadata: {}, creation_date: new Date().toISOString() }));
      await h.storage.store.write(Readable.from([randomBytes(100)]), pid, 0);
      await eventually(
        'the abandoned upload to expire',
        async () => {
          await h.storage.store.deleteExpired();
          return (await h.storage.store.getUpload(pid).then(() => false, () => true)) || undefined;
        },
        h.expireAfterMs + 10_000,
      );
      assert.equal(sha(await collect(await h.storage.content.read(id))), sha(bytes));
    });

    it('terminating an unfinished upload removes it', async () => {
      const partial = randomBytes(1000);
      const pid = randomUUID().replace(/-/g, '');
      await h.storage.store.create(new Upload({ id: pid, size: 5000, offset: 0, metadata: {}, creation_date: new Date().toISOString() }));
      await h.storage.store.write(Readable.from([partial]), pid, 0);
      await h.storage.store.remove(pid);
      await assert.rejects(h.storage.store.getUpload(pid));
    });
  });
}
