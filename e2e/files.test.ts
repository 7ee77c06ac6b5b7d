/**
 * Files end to end with a real tus client (tus-js-client) against the real
 * api, two gateways and the worker: resumable upload, the file message, and
 * members-only downloads.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { GLOBAL_ROOM_ID, type HistoryResponse, type TokenResponse } from '../shared/http/schemas.js';
import type { ParleySocket } from '../shared/client/socket.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { freePort, startService } from '../testkit/processes.js';
import { startTestS3, type TestS3 } from '../testkit/s3-server.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Uploads `data` with tus-js-client; with `stopAt`, aborts once that many
 * bytes are sent and resumes with a new Upload from its URL (on
 * `resumeOrigin`, another api replica, when given).
 */
function tusUpload(
  at: { endpoint: string; resumeOrigin?: string },
  token: string,
  data: Buffer,
  metadata: Record<string, string>,
  stopAt?: number,
): Promise<{ url: string; resumedFrom?: number }> {
  return new Promise((resolve, reject) => {
    let resumedFrom: number | undefined;
    const start = (uploadUrl?: string) => {
      const u: tus.Upload = new tus.Upload(data, {
        endpoint: at.endpoint,
        headers: { authorization: `Bearer ${token}` },
        metadata,
        chunkSize: MiB,
        retryDelays: [],
        ...(uploadUrl ? { uploadUrl } : {}),
        onProgress: (sent) => {
          if (stopAt !== undefined && !uploadUrl && sent >= stopAt) {
            void u.abort().then(() => {
              const url = new URL(u.url!);
              start(at.resumeOrigin ? `${at.resumeOrigin}${url.pathname}` : url.toString());
            });
          }
        },
        onChunkComplete: (_chunk, accepted) => {
          if (uploadUrl && resumedFrom === undefined) resumedFrom = accepted - _chunk;
        },
        onSuccess: () => resolve({ url: u.url!, ...(resumedFrom === undefined ? {} : { resumedFrom }) }),
        onError: reject,
      });
      u.start();
    };
    start();
  });
}

describe('files', () => {
  let c: Cluster;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let bobWs: ParleySocket;
  let privateRoom: string;
  const uploadsDir = mkdtempSync(join(tmpdir(), 'parley-e2e-uploads-'));

  const upload = (token: string, data: Buffer, metadata: Record<string, string>, stopAt?: number) =>
    tusUpload({ endpoint: `${c.apiUrl}/v1/uploads` }, token, data, metadata, stopAt);
  const status = (err: unknown) => (err as tus.DetailedError).originalResponse?.getStatus();
  const download = (token: string, id: string, headers: Record<string, string> = {}) =>
    fetch(`${c.apiUrl}/v1/files/${id}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

  before(async () => {
    c = await startCluster({ gateways: 2, env: { UPLOADS_DIR: uploadsDir, UPLOADS_MAX_BYTES: String(6 * MiB) } });
    [alice, bob] = [await c.user('alice'), await c.user('bob')];
    bobWs = await c.connect(1, bob.accessToken);
    await bobWs.next('welcome');
    const created = await c.post<{ id: string }>('/v1/rooms', { name: 'vault', visibility: 'private' }, alice.accessToken);
    privateRoom = created.body.id;
  });
  after(async () => {
    await c?.stop();
  });

  let fileId: string;
  let original: Buffer;

  test('a 5 MiB upload cut off midway resumes from its offset; members see the file message live and in history', async () => {
    original = randomBytes(5 * MiB);
    const done = await upload(alice.accessToken, original, { room: GLOBAL_ROOM_ID, filename: 'report.bin', filetype: 'application/octet-stream' }, 2 * MiB);
    assert.ok(done.resumedFrom !== undefined && done.resumedFrom > 0, `resumed from ${done.resumedFrom}`);
    const live = await bobWs.next('message', (m) => m.kind === 'file');
    assert.deepEqual({ name: live.file?.name, size: live.file?.size, from: live.from.username }, { name: 'report.bin', size: 5 * MiB, from: 'alice' });
    fileId = live.file!.id;
    const history = await c.get<HistoryResponse>(`/v1/rooms/${GLOBAL_ROOM_ID}/messages`, bob.accessToken);
    assert.equal(history.body.messages.find((m) => m.kind === 'file')?.file?.id, fileId);
    const res = await download(bob.accessToken, fileId);
    assert.equal(res.status, 200);
    const got = Buffer.from(await res.arrayBuffer());
    assert.equal(sha(got), sha(original), 'the stored file is byte-identical');
    assert.equal(res.headers.get('etag'), `"${sha(original)}"`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((await download(bob.accessToken, fileId, { 'if-none-match': `"${sha(original)}"` })).status, 304);
  });

  test('range requests return the exact bytes, and eight parallel downloads all match', async () => {
    const res = await download(bob.accessToken, fileId, { range: 'bytes=1000-1999' });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 1000-1999/${5 * MiB}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), original.subarray(1000, 2000));
    const tail = await download(bob.accessToken, fileId, { range: 'bytes=-10' });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), original.subarray(original.length - 10));
    assert.equal((await download(bob.accessToken, fileId, { range: `bytes=${6 * MiB}-` })).status, 416);
    const all = await Promise.all(Array.from({ length: 8 }, () => download(alice.accessToken, fileId).then(async (r) => sha(Buffer.from(await r.arrayBuffer())))));
    assert.deepEqual(new Set(all), new Set([sha(original)]));
  });

  test('refusals: oversize 413, no token 401, non-members 404 (private) or 403 (public), wrong offset 409', async () => {
    await assert.rejects(upload(alice.accessToken, randomBytes(7 * MiB), { room: GLOBAL_ROOM_ID, filename: 'big.bin' }), (e) => status(e) === 413);
    await assert.rejects(upload('', randomBytes(10), { room: GLOBAL_ROOM_ID, filename: 'x' }), (e) => status(e) === 401);
    await assert.rejects(upload(bob.accessToken, randomBytes(10), { room: privateRoom, filename: 'x' }), (e) => status(e) === 404);
    const pub = await c.post<{ id: string }>('/v1/rooms', { name: 'open-files', visibility: 'public' }, alice.accessToken);
    await assert.rejects(upload(bob.accessToken, randomBytes(10), { room: pub.body.id, filename: 'x' }), (e) => status(e) === 403);

    const create = await fetch(`${c.apiUrl}/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice.accessToken}`,
        'tus-resumable': '1.0.0',
        'upload-length': '100',
        'upload-metadata': `room ${Buffer.from(GLOBAL_ROOM_ID).toString('base64')},filename ${Buffer.from('a.txt').toString('base64')}`,
      },
    });
    assert.equal(create.status, 201);
    const url = new URL(create.headers.get('location')!, c.apiUrl).toString();
    const patch = (token: string, offset: number) =>
      fetch(url, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
        body: Buffer.alloc(10),
      });
    assert.equal((await patch(alice.accessToken, 50)).status, 409, 'the offset does not match');
    assert.equal((await patch(bob.accessToken, 0)).status, 404, "someone else's upload does not exist for you");
  });

  test('file names cannot escape the store or break headers', async () => {
    const nasty = '../../etc/héllo "wörld".txt';
    await upload(alice.accessToken, Buffer.from('hi'), { room: GLOBAL_ROOM_ID, filename: nasty, filetype: 'text/plain' });
    const message = await bobWs.next('message', (m) => m.file?.name === nasty);
    const res = await download(bob.accessToken, message.file!.id);
    assert.equal(res.status, 200);
    const disposition = res.headers.get('content-disposition')!;
    assert.match(disposition, /^attachment; filename="(?:[^"\\\r\n]|\\.)*"; filename\*=UTF-8''[\x21-\x7e]+$/);
    assert.ok(/^[\x20-\x7e]*$/.test(disposition), 'the header is pure ASCII');
    assert.ok(!disposition.includes('..'), disposition);
    assert.ok(readdirSync(uploadsDir).every((f) => /^[A-Za-z0-9_-]+(\.json)?$/.test(f)), 'only server-generated names on disk');
    await assert.rejects(upload(alice.accessToken, Buffer.from('x'), { room: GLOBAL_ROOM_ID, filename: 'a\r\nX-Evil: 1' }), (e) => status(e) === 400);
  });

  test('two api replicas serve one upload alternately, and racing chunks never corrupt it', async () => {
    const port = await freePort();
    const api2 = await startService('api', { ...c.env, API_PORT: String(port), AUTH_KEYS_FILE: c.keysFile }, { name: 'api-2' });
    c.adopt(api2);
    const apis = [c.apiUrl, `http://127.0.0.1:${port}`];
    const headers = (extra: Record<string, string>) => ({ authorization: `Bearer ${alice.accessToken}`, 'tus-resumable': '1.0.0', ...extra });
    const create = async (length: number) => {
      const res = await fetch(`${apis[0]}/v1/uploads`, {
        method: 'POST',
        headers: headers({
          'upload-length': String(length),
          'upload-metadata': `room ${Buffer.from(GLOBAL_ROOM_ID).toString('base64')},filename ${Buffer.from('shared.bin').toString('base64')}`,
        }),
      });
      assert.equal(res.status, 201);
      return new URL(res.headers.get('location')!).pathname;
    };
    const patch = (api: string, path: string, offset: number, body: Buffer) =>
      fetch(`${api}${path}`, { method: 'PATCH', headers: headers({ 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }), body });

    // Alternately: each chunk to the other replica, each continuing at the offset the other reached.
    const data = randomBytes(4 * 256 * 1024);
    const path = await create(data.length);
    for (let i = 0; i < 4; i++) {
      const res = await patch(apis[i % 2]!, path, i * 256 * 1024, data.subarray(i * 256 * 1024, (i + 1) * 256 * 1024));
      assert.equal(res.status, 204, `chunk ${i} on replica ${(i % 2) + 1}`);
    }
    const head = await fetch(`${apis[1]}${path}`, { method: 'HEAD', headers: headers({}) });
    assert.equal(head.headers.get('upload-offset'), String(data.length));
    const done = await bobWs.next('message', (m) => m.file?.name === 'shared.bin');
    const got = Buffer.from(await (await fetch(`${apis[1]}/v1/files/${done.file!.id}`, { headers: { authorization: `Bearer ${bob.accessToken}` } })).arrayBuffer());
    assert.equal(sha(got), sha(data));

    // Racing: both replicas get a chunk for the same offset at once. The lock
    // lets one write; the other fails or finds the offset moved. Whatever
    // landed is one whole chunk, never a mix.
    const a = Buffer.alloc(64 * 1024, 1);
    const b = Buffer.alloc(64 * 1024, 2);
    const racePath = await create(a.length);
    const results = await Promise.all([patch(apis[0]!, racePath, 0, a), patch(apis[1]!, racePath, 0, b)]);
    assert.equal(results.filter((r) => r.status === 204).length, 1, `statuses ${results.map((r) => r.status)}`);
    const raced = await bobWs.next('message', (m) => m.file?.name === 'shared.bin' && m.file.id !== done.file!.id);
    const stored = Buffer.from(await (await fetch(`${apis[0]}/v1/files/${raced.file!.id}`, { headers: { authorization: `Bearer ${bob.accessToken}` } })).arrayBuffer());
    assert.ok(stored.equals(a) || stored.equals(b), 'the stored file is exactly one of the racing chunks');
  });

  test('a member who is kicked loses access to the room\'s files at once', async () => {
    const pub = await c.post<{ id: string }>('/v1/rooms', { name: 'shared-files', visibility: 'public' }, alice.accessToken);
    assert.equal((await c.post(`/v1/rooms/${pub.body.id}/join`, undefined, bob.accessToken)).status, 200);
    await bobWs.next('event', (e) => e.event === 'member_joined' && e.room === pub.body.id && e.user?.id === bob.user.id);
    await upload(alice.accessToken, Buffer.from('secret plans'), { room: pub.body.id, filename: 'plans.txt', filetype: 'text/plain' });
    const m = await bobWs.next('message', (x) => x.room === pub.body.id && x.kind === 'file');
    assert.equal((await download(bob.accessToken, m.file!.id)).status, 200);
    assert.equal((await c.request('DELETE', `/v1/rooms/${pub.body.id}/members/${bob.user.id}`, undefined, alice.accessToken)).status, 204);
    assert.equal((await download(bob.accessToken, m.file!.id)).status, 404);
  });
});

describe('files on an S3-compatible store (UPLOADS_STORE=s3)', () => {
  let s3: TestS3;
  let c: Cluster;
  let secondApi: string;

  before(async () => {
    s3 = await startTestS3();
    c = await startCluster({ gateways: 1, env: { ...s3.env, UPLOADS_S3_PART_BYTES: String(5 * MiB), UPLOADS_MAX_BYTES: String(8 * MiB) } });
    const port = await freePort();
    c.adopt(await startService('api', { ...c.env, API_PORT: String(port), AUTH_KEYS_FILE: c.keysFile }, { name: 'api-2' }));
    secondApi = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await c?.stop();
    await s3?.stop();
  });

  test('an upload cut off on one replica resumes on the other, and both serve exact bytes and ranges', async () => {
    const [alice, bob] = [await c.user('alice'), await c.user('bob')];
    const bobWs = await c.connect(0, bob.accessToken);
    await bobWs.next('welcome');
    const original = randomBytes(6 * MiB + 12_345);
    const metadata = { room: GLOBAL_ROOM_ID, filename: 'on-s3.bin', filetype: 'application/octet-stream' };
    const done = await tusUpload({ endpoint: `${c.apiUrl}/v1/uploads`, resumeOrigin: secondApi }, alice.accessToken, original, metadata, 2 * MiB);
    assert.ok(done.resumedFrom !== undefined && done.resumedFrom > 0, `resumed from ${done.resumedFrom}`);
    assert.ok(done.url.startsWith(secondApi), 'the second replica finished it');

    const live = await bobWs.next('message', (m) => m.kind === 'file');
    assert.equal(live.file?.size, original.length);
    for (const api of [c.apiUrl, secondApi]) {
      const get = (headers: Record<string, string> = {}) =>
        fetch(`${api}/v1/files/${live.file!.id}`, { headers: { authorization: `Bearer ${bob.accessToken}`, ...headers } });
      const whole = await get();
      assert.equal(whole.status, 200);
      assert.equal(sha(Buffer.from(await whole.arrayBuffer())), sha(original), 'byte-identical');
      const range = await get({ range: `bytes=${5 * MiB - 5}-${5 * MiB + 4}` });
      assert.equal(range.status, 206);
      assert.deepEqual(Buffer.from(await range.arrayBuffer()), original.subarray(5 * MiB - 5, 5 * MiB + 5));
      const parallel = await Promise.all(Array.from({ length: 8 }, () => get().then(async (r) => sha(Buffer.from(await r.arrayBuffer())))));
      assert.deepEqual(new Set(parallel), new Set([sha(original)]));
    }
  });
});
