/**
 * Where upload bytes live, chosen by UPLOADS_STORE: the tus DataStore that
 * writes them and the UploadContent that reads them back always come as a
 * pair from one factory, so they can never disagree about the layout.
 */
import { mkdirSync } from 'node:fs';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { S3Store, type MetadataValue } from '@tus/s3-store';
import type { DataStore } from '@tus/utils';
import type { RedisClient } from '../../shared/redis/connect.js';
import type { RedisKeys } from '../../shared/redis/keys.js';
import type { UploadsConfig } from '../config.js';
import { LocalUploadContent, S3UploadContent, type UploadContent } from './content.js';
import { RedisKvStore } from './redis-kv.js';
import { ExpiringFileStore } from './file-store.js';

export interface UploadStorage {
  store: DataStore;
  content: UploadContent;
}

interface StorageDeps {
  config: UploadsConfig;
  redis: RedisClient;
  keys: RedisKeys;
}

const factories: { [K in UploadsConfig['store']]: (deps: StorageDeps) => UploadStorage } = {
  file({ config }) {
    mkdirSync(config.directory, { recursive: true });
    return {
      store: new ExpiringFileStore({ directory: config.directory, expirationPeriodInMilliseconds: config.expireAfterMs }),
      content: new LocalUploadContent(config.directory),
    };
  },
  s3({ config, redis, keys }) {
    const { s3 } = config;
    if (!s3.bucket) throw new Error('UPLOADS_S3_BUCKET is required with UPLOADS_STORE=s3'); // loadApiConfig refuses this first
    const client: S3ClientConfig = {
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
      ...(s3.accessKeyId && s3.secretAccessKey ? { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } } : {}),
    };
    return {
      store: new S3Store({
        partSize: s3.partBytes,
        // Upload metadata is shared by replicas through Redis, so any replica can resume any upload.
        cache: new RedisKvStore<MetadataValue>(redis, keys, config.expireAfterMs),
        expirationPeriodInMilliseconds: config.expireAfterMs,
        s3ClientConfig: { ...client, bucket: s3.bucket },
      }),
      content: new S3UploadContent(new S3Client(client), s3.bucket),
    };
  },
};

export function createUploadStorage(deps: StorageDeps): UploadStorage {
  return factories[deps.config.store](deps);
}
