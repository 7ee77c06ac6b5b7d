/**
 * The tus endpoint's edges, with the file store on a directory of the test's
 * own: the discovery answer to OPTIONS, and a deferred-length upload that
 * grows past UPLOADS_MAX_BYTES mid-stream, refused with 413 and removed from
 * disk at once, metadata included.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GLOBAL_ROOM_ID, type TokenResponse } from '../../shared/http/schemas.js';
import { assertProblem, createApiFixture, type ApiFixture } from '../testing.js';

const KiB = 1024;
const MAX = 64 * KiB;

describe('tus at /v1/uploads', () => {
  let f: ApiFixture;
  let alice: TokenResponse;
  const dir = mkdtempSync(join(tmpdir(), 'parley-tus-edge-'));

  const metadata = (name: string) => `room ${Buffer.from(GLOBAL_ROOM_ID).toString('base64')},filename ${Buffer.from(name).toString('base64')}`;
  const tusHeaders = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${alice.accessToken}`, 'tus-resumable': '1.0.0', ...extra });
  /** A body sent without Content-Length (chunked), so only counting its bytes can find it too large. */
  const chunked = (bytes: number) => Readable.from([Buffer.alloc(bytes / 2, 1), Buffer.alloc(bytes / 2, 2)]);
  const createDeferred = async (name: string) => {
    const res = await f.app.inject({ method: 'POST', url: '/v1/uploads', headers: tusHeaders({ 'upload-defer-length': '1', 'upload-metadata': metadata(name) }) });
    assert.equal(res.statusCode, 201, res.body);
    return new URL(String(res.headers.location)).pathname;
  };
  const patch = (path: string, offset: number, body: Readable | Buffer, extra: Record<string, string> = {}) =>
    f.app.inject({
      method: 'PATCH',
      url: path,
      headers: tusHeaders({ 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...extra }),
      payload: body,
    });

  before(async () => {
    f = await createApiFixture({ uploads: { directory: dir, maxBytes: MAX } });
    alice = await f.user('alice');
  });
  after(async () => {
    await f?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('OPTIONS /v1/uploads is tus discovery: 204 with the version, the size limit and the supported extensions, no token needed', async () => {
    const res = await f.app.inject({ method: 'OPTIONS', url: '/v1/uploads' });
    assert.equal(res.statusCode, 204, res.body);
    assert.equal(res.headers['tus-resumable'], '1.0.0');
    assert.deepEqual(String(res.headers['tus-version']).split(','), ['1.0.0']);
    assert.equal(res.headers['tus-max-size'], String(MAX));
    assert.deepEqual(
      String(res.headers['tus-extension']).split(',').sort(),
      ['creation', 'creation-defer-length', 'creation-with-upload', 'expiration', 'termination'],
    );
  });

  test('without configured CORS origins a preflight to /v1/uploads is still a 404', async () => {
    const res = await f.app.inject({ method: 'OPTIONS', url: '/v1/uploads', headers: { origin: 'https://chat.example.com', 'access-control-request-method': 'POST' } });
    assertProblem(res, 404, 'not_found');
  });

  test('a deferred-length upload within the limit keeps its bytes and completes once it declares its length', async () => {
    const path = await createDeferred('small.bin');
    const id = path.split('/').pop()!;
    assert.equal((await patch(path, 0, chunked(8 * KiB))).statusCode, 204);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith(id)).sort(), [id, `${id}.json`]);
    const done = await patch(path, 8 * KiB, Buffer.alloc(KiB), { 'upload-length': String(9 * KiB) });
    assert.equal(done.statusCode, 204, done.body);
    assert.equal(done.headers['upload-offset'], String(9 * KiB));
  });

  test('a deferred-length upload that grows past UPLOADS_MAX_BYTES mid-stream gets 413 and nothing of it is left on disk', async () => {
    const before = new Set(readdirSync(dir));
    const path = await createDeferred('huge.bin');
    const id = path.split('/').pop()!;
    assert.equal((await patch(path, 0, chunked(16 * KiB))).statusCode, 204, 'a first chunk within the limit');
    const res = await patch(path, 16 * KiB, chunked(2 * MAX));
    assert.equal(res.statusCode, 413, res.body);
    assert.deepEqual(readdirSync(dir).filter((n) => !before.has(n)), [], `left on disk: ${readdirSync(dir).join(', ')}`);
    const head = await f.app.inject({ method: 'HEAD', url: path, headers: tusHeaders() });
    assert.equal(head.statusCode, 404, `upload ${id} is gone`);
  });

  test('the same when the oversized bytes come with the creation request (creation-with-upload)', async () => {
    const before = new Set(readdirSync(dir));
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/uploads',
      headers: tusHeaders({ 'upload-defer-length': '1', 'upload-metadata': metadata('huge2.bin'), 'content-type': 'application/offset+octet-stream' }),
      payload: chunked(2 * MAX),
    });
    assert.equal(res.statusCode, 413, res.body);
    assert.deepEqual(readdirSync(dir).filter((n) => !before.has(n)), []);
  });
});
