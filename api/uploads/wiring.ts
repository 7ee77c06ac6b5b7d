/** Builds the upload machinery (store, tus server, file records) for main.ts and the test fixture alike. */
import type { Server } from '@tus/server';
import type { DataStore } from '@tus/utils';
import { RedisLocker } from './redis-locker.js';
import type { RedisClient } from '../../shared/redis/connect.js';
import type { AccessVerifier } from '../../shared/auth/verify.js';
import type { Sql } from '../../shared/db/connect.js';
import type { Logger } from '../../shared/log.js';
import type { RedisKeys } from '../../shared/redis/keys.js';
import type { MessagePublisher } from '../../shared/ports.js';
import type { UploadsConfig } from '../config.js';
import type { RoomRepository } from '../rooms/repository.js';
import { Files } from './files.js';
import { createTusServer } from './tus.js';
import type { UploadContent } from './content.js';
import { createUploadStorage } from './storage.js';

export interface Uploads {
  tus: Server;
  /** Where uploads live (tests create uploads directly through it). */
  store: DataStore;
  files: Files;
  /** Reads finished uploads back (downloads). */
  content: UploadContent;
  /** Deletes unfinished uploads past their expiry; run it periodically. */
  cleanUp(): Promise<number>;
  close(): void;
}

export function createUploads(deps: {
  config: UploadsConfig;
  /** Posts the file message once an upload finishes. */
  publisher: MessagePublisher;
  sql: Sql;
  redis: RedisClient;
  keys: RedisKeys;
  verify: AccessVerifier;
  rooms: RoomRepository;
  logger: Logger;
  trustProxy: boolean;
  /** Origins allowed by CORS (API_CORS_ORIGINS); tus answers them itself. */
  corsOrigins?: readonly string[];
}): Uploads {
  const { store, content } = createUploadStorage(deps);
  const locker = new RedisLocker({ redis: deps.redis, keys: deps.keys });
  const tus = createTusServer({
    config: deps.config,
    store,
    content,
    // Replicas share uploads, so the lock on an upload must hold across processes.
    locker,
    verify: deps.verify,
    rooms: deps.rooms,
    sql: deps.sql,
    publisher: deps.publisher,
    logger: deps.logger,
    trustProxy: deps.trustProxy,
    corsOrigins: deps.corsOrigins ?? [],
  });
  return {
    tus,
    store,
    files: new Files(deps.sql),
    content,
    cleanUp: () => tus.cleanUpExpiredUploads(),
    close: () => locker.close(),
  };
}
