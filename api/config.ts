import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Type, { type Static } from 'typebox';
import { ConfigError, loadConfig, setting } from '../shared/config/env.js';
import { StreamsConfig, LogConfig, PostgresConfig, PresenceConfig, RedisConfig, TokenClaimsConfig, opsConfig } from '../shared/config/slices.js';

export const HttpConfig = Type.Object({
  /** The address the HTTP listener binds: all interfaces by default, as containers need; `make up` binds 127.0.0.1. */
  host: setting.host('API_HOST', { default: '0.0.0.0' }),
  port: setting.integer('API_PORT', { default: 8080, minimum: 0, maximum: 65535 }),
  /** Largest accepted JSON request body. */
  bodyLimitBytes: setting.integer('API_BODY_LIMIT_BYTES', { default: 65_536, minimum: 1024 }),
  /** Largest message body (UTF-8 bytes) an edit may set: keep equal to the gateway's GATEWAY_MAX_MESSAGE_BYTES. */
  maxMessageBytes: setting.integer('API_MAX_MESSAGE_BYTES', { default: 4_096, minimum: 1 }),
  /** Trust X-Forwarded-* from a load balancer (true when behind one). */
  trustProxy: setting.boolean('API_TRUST_PROXY', { default: false }),
});
export type HttpConfig = Static<typeof HttpConfig>;

/**
 * HTTP rate limits, counted in Redis so they hold across api replicas (see
 * api/http/rate-limit.ts). Each is a number of requests per window; 0 turns
 * that limit off. Behind a load balancer, set API_TRUST_PROXY so the per-IP
 * limit counts clients, not the balancer.
 */
export const RateLimitConfig = Type.Object({
  /** The window every limit counts in: it starts at a key's first request, and Retry-After is what is left of it. */
  windowMs: setting.integer('API_RATE_LIMIT_WINDOW_MS', { default: 60_000, minimum: 1000, maximum: 86_400_000 }),
  /** Register, login and refresh requests per client IP (IPv6 per /64). */
  authPerIp: setting.integer('API_RATE_LIMIT_AUTH_PER_IP', { default: 60, minimum: 0 }),
  /** Register and login requests per username (case-insensitive), from any IP: bounds password guessing against one account. */
  authPerUsername: setting.integer('API_RATE_LIMIT_AUTH_PER_USERNAME', { default: 10, minimum: 0 }),
  /** POST, PUT, PATCH and DELETE requests per authenticated user (tus uploads not counted). */
  writesPerUser: setting.integer('API_RATE_LIMIT_WRITES_PER_USER', { default: 300, minimum: 0 }),
});
export type RateLimitConfig = Static<typeof RateLimitConfig>;

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

/**
 * Browsers: which other origins may call the api (CORS), and the web client the
 * api serves at `/`. Raw strings here; `loadApiConfig` parses them into
 * `WebSettings` and refuses malformed values at startup.
 */
export const WebConfig = Type.Object({
  /**
   * Comma-separated exact origins (`scheme://host[:port]`, no path) whose pages
   * may call the api and upload through tus; empty (default): same origin only,
   * and the api sends no CORS headers.
   */
  corsOrigins: setting.string('API_CORS_ORIGINS', { default: '' }),
  /**
   * Directory of the built web client (index.html, assets/) served at `/`.
   * Unset: `web/dist` of the api's install, when it was built; empty: serve no web client.
   */
  webDir: setting.optionalString('API_WEB_DIR'),
  /** The Content-Security-Policy `connect-src` of the web client's page: it must allow the gateway's WebSocket URL. */
  connectSrc: setting.string('API_WEB_CONNECT_SRC', { default: "'self' ws: wss:" }),
  /**
   * The gateway URL `/config.json` gives the web client (`ws://` or `wss://`, with
   * the path, e.g. `wss://chat.example.com/v1/ws`). Unset: the page's own origin
   * with `/v1/ws`, for a load balancer that routes that path to the gateways.
   */
  publicWsUrl: setting.optionalString('API_PUBLIC_WS_URL'),
});

/** The web slice as the api uses it. */
export interface WebSettings {
  /** Exact origins allowed by CORS; empty: none (no CORS headers at all). */
  corsOrigins: string[];
  /** Absolute directory of the web client, or null for none. */
  webDir: string | null;
  connectSrc: string;
  /** Null: derived from each request's origin. */
  publicWsUrl: string | null;
}

/** Where `npm run build` puts the web client, relative to this module once compiled (dist/api/config.js). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export const ApiConfig = Type.Object({
  log: LogConfig,
  redis: RedisConfig,
  postgres: PostgresConfig,
  ops: opsConfig(9200),
  http: HttpConfig,
  rateLimit: RateLimitConfig,
  uploads: UploadsConfig,
  streams: StreamsConfig,
  auth: AuthConfig,
  announcements: AnnouncementsConfig,
  /** The api reads presence and publishes status changes; only roomEventsMaxMembers matters here. */
  presence: PresenceConfig,
  web: WebConfig,
});
export type ApiConfig = Omit<Static<typeof ApiConfig>, 'web'> & { web: WebSettings };

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
  const web = parseWebSettings(config.web, env.API_WEB_DIR, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, web };
}

/** The web settings of `env` alone (tests build the api's browser-facing parts from them). */
export function loadWebSettings(env: Record<string, string | undefined>): WebSettings {
  const problems: string[] = [];
  const web = parseWebSettings(loadConfig(Type.Object({ web: WebConfig }), env).web, env.API_WEB_DIR, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return web;
}

/**
 * Parses the web slice. `rawWebDir` is the variable itself, because the
 * loader reads an empty value as unset and here the two differ: unset means
 * the default directory, empty means none.
 */
function parseWebSettings(web: Static<typeof WebConfig>, rawWebDir: string | undefined, problems: string[]): WebSettings {
  const corsOrigins: string[] = [];
  for (const item of web.corsOrigins.split(',').map((o) => o.trim()).filter(Boolean)) {
    const origin = exactOrigin(item);
    if (origin) corsOrigins.push(origin);
    else problems.push(`API_CORS_ORIGINS: ${JSON.stringify(item)} is not an origin (scheme://host[:port], http or https, no path or trailing slash)`);
  }
  let webDir: string | null;
  if (rawWebDir === undefined) {
    // The default is optional: an api built without the web client serves none.
    webDir = isDirectory(DEFAULT_WEB_DIR) ? DEFAULT_WEB_DIR : null;
  } else if (rawWebDir === '') {
    webDir = null;
  } else {
    webDir = resolve(rawWebDir);
    if (!isDirectory(webDir)) problems.push(`API_WEB_DIR=${JSON.stringify(rawWebDir)}: no such directory`);
  }
  // A CSP source list: a `;` or `,` would end the directive or the policy, a line break the header.
  if (/[;,\r\n]/.test(web.connectSrc)) problems.push('API_WEB_CONNECT_SRC: a space-separated CSP source list, without ";" or ","');
  let publicWsUrl: string | null = null;
  if (web.publicWsUrl !== undefined) {
    const url = URL.canParse(web.publicWsUrl) ? new URL(web.publicWsUrl) : null;
    if (url && (url.protocol === 'ws:' || url.protocol === 'wss:') && !url.username && !url.password && !url.hash) {
      publicWsUrl = url.href;
    } else {
      problems.push(`API_PUBLIC_WS_URL=${JSON.stringify(web.publicWsUrl)}: a ws:// or wss:// URL, e.g. wss://chat.example.com/v1/ws`);
    }
  }
  return { corsOrigins, webDir, connectSrc: web.connectSrc.trim(), publicWsUrl };
}

/** `value` when it is exactly a serialized http(s) origin (what browsers send in `Origin`), else null. */
function exactOrigin(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.origin === value ? value : null;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
