import Type, { type Static } from 'typebox';
import { ConfigError, loadConfig, setting } from '../shared/config/env.js';
import { StreamsConfig, LogConfig, PostgresConfig, PresenceConfig, RedisConfig, TokenClaimsConfig, opsConfig } from '../shared/config/slices.js';

export const HttpConfig = Type.Object({
  host: setting.string('API_HOST', { default: '0.0.0.0' }),
  port: setting.integer('API_PORT', { default: 8080, minimum: 0, maximum: 65535 }),
  /** Largest accepted JSON request body. */
  bodyLimitBytes: setting.integer('API_BODY_LIMIT_BYTES', { default: 65_536, minimum: 1024 }),
  /** Largest message body (UTF-8 bytes) an edit may set: keep equal to the gateway's GATEWAY_MAX_MESSAGE_BYTES. */
  maxMessageBytes: setting.integer('API_MAX_MESSAGE_BYTES', { default: 4_096, minimum: 1 }),
  /** Trust X-Forwarded-* from a load balancer (true when behind one). */
  trustProxy: setting.boolean('API_TRUST_PROXY', { default: false }),
});
export type HttpConfig = Static<typeof HttpConfig>;

export const AuthConfig = Type.Object({
  ...TokenClaimsConfig.properties,
  /**
   * JSON Web Key Set with the *private* signing keys (Ed25519). The first key
   * signs; every key is published in the JWKS and accepted, so keys rotate by
   * prepending a new one and removing the old after the access TTL.
   */
  keysFile: setting.string('AUTH_KEYS_FILE'),
  accessTtlSeconds: setting.integer('AUTH_ACCESS_TTL_SECONDS', { default: 900, minimum: 10, maximum: 86_400 }),
  refreshTtlSeconds: setting.integer('AUTH_REFRESH_TTL_SECONDS', { default: 2_592_000, minimum: 60 }),
});
export type AuthConfig = Static<typeof AuthConfig>;

export const AnnouncementsConfig = Type.Object({
  /** How many of the newest announcements the Redis list keeps for gateways to greet new sockets with. */
  keepLatest: setting.integer('ANNOUNCEMENTS_KEEP_LATEST', { default: 5, minimum: 1, maximum: 1000 }),
});
export type AnnouncementsConfig = Static<typeof AnnouncementsConfig>;

export const UploadsConfig = Type.Object({
  /** Where the local file store keeps uploads (created if missing). Replicas need a shared volume. */
  directory: setting.string('UPLOADS_DIR', { default: '.local/uploads' }),
  /** Largest upload; larger ones get 413, whether announced up front or found mid-stream. */
  maxBytes: setting.integer('UPLOADS_MAX_BYTES', { default: 104_857_600, minimum: 1 }),
  /** Comma-separated allowed content types (e.g. `image/png,application/pdf`); empty allows any. */
  allowedTypes: setting.string('UPLOADS_ALLOWED_TYPES', { default: '' }),
  /** Unfinished uploads older than this are deleted. */
  expireAfterMs: setting.integer('UPLOADS_EXPIRE_MS', { default: 86_400_000, minimum: 1000 }),
  /** Where upload bytes live: `file` (UPLOADS_DIR, a shared volume for replicas) or `s3` (any S3-compatible bucket). */
  store: setting.enum('UPLOADS_STORE', ['file', 's3'], { default: 'file' }),
  /** Only with UPLOADS_STORE=s3. */
  s3: Type.Object({
    /** Required with UPLOADS_STORE=s3. */
    bucket: setting.optionalString('UPLOADS_S3_BUCKET'),
    region: setting.string('UPLOADS_S3_REGION', { default: 'us-east-1' }),
    /** For S3-compatible services (MinIO, R2, Ceph…); unset means AWS. */
    endpoint: setting.optionalString('UPLOADS_S3_ENDPOINT'),
    /** Bucket in the path rather than the host name; most self-hosted S3 services need it. */
    forcePathStyle: setting.boolean('UPLOADS_S3_FORCE_PATH_STYLE', { default: false }),
    /** Static credentials; when unset, the AWS SDK's default chain (env, IRSA, instance role) applies. */
    accessKeyId: setting.optionalString('UPLOADS_S3_ACCESS_KEY_ID'),
    secretAccessKey: setting.optionalString('UPLOADS_S3_SECRET_ACCESS_KEY'),
    /** Preferred multipart part size; S3 requires at least 5 MiB for every part but the last. */
    partBytes: setting.integer('UPLOADS_S3_PART_BYTES', { default: 8_388_608, minimum: 5_242_880, maximum: 5_368_709_120 }),
  }),
});
export type UploadsConfig = Static<typeof UploadsConfig>;

export const ApiConfig = Type.Object({
  log: LogConfig,
  redis: RedisConfig,
  postgres: PostgresConfig,
  ops: opsConfig(9200),
  http: HttpConfig,
  uploads: UploadsConfig,
  streams: StreamsConfig,
  auth: AuthConfig,
  announcements: AnnouncementsConfig,
  /** The api reads presence and publishes status changes; only roomEventsMaxMembers matters here. */
  presence: PresenceConfig,
});
export type ApiConfig = Static<typeof ApiConfig>;

/** The uploads slice alone, parsed the same way (tests build upload machinery from it). */
export const loadUploadsConfig = (env: Record<string, string | undefined>): UploadsConfig =>
  loadConfig(Type.Object({ uploads: UploadsConfig }), env).uploads;

export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const config = loadConfig(ApiConfig, env);
  const { store, s3 } = config.uploads;
  const problems: string[] = [];
  if (store === 's3' && !s3.bucket) problems.push('UPLOADS_S3_BUCKET: required with UPLOADS_STORE=s3');
  if (Boolean(s3.accessKeyId) !== Boolean(s3.secretAccessKey)) {
    problems.push('UPLOADS_S3_ACCESS_KEY_ID and UPLOADS_S3_SECRET_ACCESS_KEY: set both or neither');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
