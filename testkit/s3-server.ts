/**
 * A real S3-compatible HTTP server for tests (s3rver, on a random port, data
 * in a temporary directory), with the three multipart calls tus's S3Store
 * needs and s3rver lacks: ListParts (resuming reads which parts already
 * exist), AbortMultipartUpload (terminating an unfinished upload) and
 * ListMultipartUploads (expiring abandoned ones). They read and write
 * s3rver's own on-disk layout for multipart uploads:
 * `<root>/<bucket>/._S3rver_uploads/<uploadId>/<partNumber>` (+ `.md5`).
 * It also mends s3rver reading `Range: bytes=0-0` as the whole object (it
 * treats an end of 0 as absent); S3 answers that with the first byte.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Settings for a parley api process using this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function noSuchUpload(uploadId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xmlEscape(uploadId)}</UploadId></Error>`;
}

export async function startTestS3(bucket = 'parley-test'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'parley-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });

  server.middleware.splice(server.middleware.length - 1, 0, async (ctx, next) => {
    const m = /^\/([^/]+)\/?$/.exec(ctx.path);
    if (ctx.method !== 'GET' || ctx.query.uploads === undefined || !m) return next();
    const root = join(directory, m[1]!, '._S3rver_uploads');
    const ids = await readdir(root).catch(() => [] as string[]);
    const uploads = await Promise.all(
      ids.map(async (id) => {
        const keyFile = join(root, id, 'key');
        const [key, info] = await Promise.all([readFile(keyFile, 'utf8'), stat(keyFile)]);
        return `<Upload><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(id)}</UploadId><Initiated>${info.mtime.toISOString()}</Initiated></Upload>`;
      }),
    );
    ctx.status = 200;
    ctx.res.setHeader('content-type', 'application/xml');
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${xmlEscape(m[1]!)}</Bucket><MaxUploads>10000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
  });

  // Runs just before s3rver's router (the last middleware), after its vhost handling.
  server.middleware.splice(server.middleware.length - 1, 0, async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (typeof uploadId !== 'string' || !m || (ctx.method !== 'GET' && ctx.method !== 'DELETE')) return next();
    const [, bucketName, key] = m as unknown as [string, string, string];
    const dir = join(directory, bucketName, '._S3rver_uploads', uploadId);
    const exists = await stat(dir).then(
      () => true,
      () => false,
    );
    if (!exists) {
      ctx.status = 404;
      ctx.res.setHeader('content-type', 'application/xml');
      ctx.body = noSuchUpload(uploadId);
      return;
    }
    if (ctx.method === 'DELETE') {
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    const numbers = (await readdir(dir))
      .filter((f) => /^\d+$/.test(f))
      .map(Number)
      .sort((a, b) => a - b);
    const parts = await Promise.all(
      numbers.map(async (n) => {
        const [info, md5] = await Promise.all([stat(join(dir, String(n))), readFile(join(dir, `${n}.md5`), 'utf8')]);
        return `<Part><PartNumber>${n}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${md5.trim()}"</ETag><Size>${info.size}</Size></Part>`;
      }),
    );
    ctx.status = 200;
    ctx.res.setHeader('content-type', 'application/xml');
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${xmlEscape(bucketName)}</Bucket><Key>${xmlEscape(decodeURIComponent(key))}</Key><UploadId>${xmlEscape(uploadId)}</UploadId>` +
      `<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>${numbers.at(-1) ?? 0}</NextPartNumberMarker>` +
      `<MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`;
  });

  server.middleware.splice(server.middleware.length - 1, 0, async (ctx, next) => {
    await next();
    if (ctx.method !== 'GET' || ctx.req.headers.range !== 'bytes=0-0' || ctx.status !== 206 || !(ctx.body instanceof Readable)) return;
    const size = /\/(\d+)$/.exec(String(ctx.res.getHeader('content-range')))?.[1];
    const whole = ctx.body;
    ctx.body = Readable.from(
      (async function* () {
        for await (const chunk of whole) {
          yield (chunk as Buffer).subarray(0, 1);
          break;
        }
        whole.destroy();
      })(),
    );
    ctx.res.setHeader('content-range', `bytes 0-0/${size}`);
    ctx.res.setHeader('content-length', '1');
  });

  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver accepts requests signed with these fixed credentials.
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    env: {
      UPLOADS_STORE: 's3',
      UPLOADS_S3_BUCKET: bucket,
      UPLOADS_S3_ENDPOINT: endpoint,
      UPLOADS_S3_REGION: 'us-east-1',
      UPLOADS_S3_FORCE_PATH_STYLE: 'true',
      UPLOADS_S3_ACCESS_KEY_ID: accessKeyId,
      UPLOADS_S3_SECRET_ACCESS_KEY: secretAccessKey,
    },
    async stop() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
