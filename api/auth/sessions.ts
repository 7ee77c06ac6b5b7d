/**
 * Login sessions and rotating refresh tokens.
 *
 * - A refresh token is 256 random bits, stored only as its SHA-256.
 * - Each refresh atomically marks the presented token used and issues a new one.
 * - Presenting a token that was already used means two parties hold it (theft
 *   or a replay); the whole session is revoked.
 * - Revocation is recorded in Postgres, mirrored to a Redis key that lives as
 *   long as an access token can (so every api and gateway refuses its tokens),
 *   and announced on the control channel (so gateways close its live sockets).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Sql, Tx } from '../../shared/db/connect.js';
import { ParleyError } from '../../shared/errors.js';
import type { RedisKeys } from '../../shared/redis/keys.js';
import type { ControlEvent } from '../../shared/broker/control.js';
import type { Logger } from '../../shared/log.js';
import type { IssueAccessToken } from './tokens.js';

export interface SessionConfig {
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export interface IssuedTokens {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

export interface SessionDeps {
  sql: Sql;
  redis: { set(key: string, value: string, ex: 'EX', seconds: number): Promise<unknown> };
  keys: RedisKeys;
  publishControl: (event: ControlEvent) => Promise<void>;
  issueAccessToken: IssueAccessToken;
  config: SessionConfig;
  logger: Logger;
}

/** Extra seconds the revocation key outlives the access TTL, for clock skew between hosts. */
const REVOCATION_SLACK_SECONDS = 60;

const hashToken = (token: string) => createHash('sha256').update(token).digest();
const newRefreshToken = () => randomBytes(32).toString('base64url');

export class Sessions {
  constructor(private readonly deps: SessionDeps) {}

  async start(user: { id: string; username: string }): Promise<IssuedTokens> {
    const { sql } = this.deps;
    const refreshToken = newRefreshToken();
    const sessionId = await sql.begin(async (tx) => {
      const [session] = await tx<{ id: string }[]>`insert into sessions (user_id) values (${user.id}) returning id`;
      await this.storeRefreshToken(tx, session!.id, refreshToken);
      return session!.id;
    });
    const accessToken = await this.deps.issueAccessToken({ userId: user.id, username: user.username, sessionId });
    return { sessionId, accessToken, refreshToken };
  }

  /** Exchanges a refresh token for a new pair; see the rules at the top of this file. */
  async refresh(refreshToken: string): Promise<IssuedTokens & { user: { id: string; username: string; createdAt: Date } }> {
    const { sql } = this.deps;
    const hash = hashToken(refreshToken);
    const next = newRefreshToken();
    const rotated = await sql.begin(async (tx) => {
      const [row] = await tx<{ session_id: string; user_id: string; username: string; created_at: Date }[]>`
        update refresh_tokens rt set used_at = now()
        from sessions s join users u on u.id = s.user_id
        where rt.token_hash = ${hash} and rt.used_at is null and rt.expires_at > now()
          and s.id = rt.session_id and s.revoked_at is null
        returning rt.session_id, s.user_id, u.username, u.created_at
      `;
      if (row) await this.storeRefreshToken(tx, row.session_id, next);
      return row;
    });
    if (!rotated) {
      const [known] = await sql<{ session_id: string; used_at: Date | null }[]>`
        select session_id, used_at from refresh_tokens where token_hash = ${hash}
      `;
      if (known?.used_at) {
        await this.revoke(known.session_id, 'refresh_token_reused');
        throw new ParleyError('refresh_token_reused');
      }
      throw new ParleyError('refresh_token_invalid');
    }
    const accessToken = await this.deps.issueAccessToken({
      userId: rotated.user_id,
      username: rotated.username,
      sessionId: rotated.session_id,
    });
    return {
      sessionId: rotated.session_id,
      accessToken,
      refreshToken: next,
      user: { id: rotated.user_id, username: rotated.username, createdAt: rotated.created_at },
    };
  }

  /** Ends a session everywhere. Idempotent. */
  async revoke(sessionId: string, reason: string): Promise<void> {
    const { sql, redis, keys, config } = this.deps;
    await sql`update sessions set revoked_at = now(), revoked_reason = ${reason} where id = ${sessionId} and revoked_at is null`;
    try {
      // The key goes first: a gateway that has not yet seen the event refuses
      // new sockets for this session as soon as the key exists.
      await redis.set(keys.revokedSession(sessionId), reason, 'EX', config.accessTtlSeconds + REVOCATION_SLACK_SECONDS);
      await this.deps.publishControl({ type: 'session_revoked', sessionId, reason });
    } catch (err) {
      throw new ParleyError('unavailable', 'Could not propagate the revocation; retry', { cause: err, retryAfterMs: 500 });
    }
    this.deps.logger.info({ sessionId, reason }, 'session revoked');
  }

  private async storeRefreshToken(tx: Tx, sessionId: string, token: string): Promise<void> {
    await tx`
      insert into refresh_tokens (token_hash, session_id, expires_at)
      values (${hashToken(token)}, ${sessionId}, now() + make_interval(secs => ${this.deps.config.refreshTtlSeconds}))
    `;
  }
}
