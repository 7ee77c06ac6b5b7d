/**
 * Rate limits on client actions: a token bucket per socket and, for
 * publishes, one per user shared by that user's sockets on this gateway
 * process (a user spread over N gateways gets N times the user rate; the
 * per-socket bucket still bounds every socket). A refusal is a `rate_limited`
 * error carrying the wait; a socket refused `abuseRejections` times in a row
 * is closed with 1008. Per process on purpose: a cluster-wide count would put
 * a Redis round trip in front of every frame (docs/architecture.md, "Why the
 * gateway's buckets stay per process"); the api's HTTP limits are the
 * cluster-wide ones.
 */
import { ParleyError } from '../shared/errors.js';
import type { SocketConfig } from './config.js';
import type { Conn, Sender, Socket } from './connection.js';
import { TokenBucket } from './token-bucket.js';

export type Limited = 'publish' | 'typing';

export type RateLimitConfig = Pick<
  SocketConfig,
  | 'publishRatePerConnection'
  | 'publishBurstPerConnection'
  | 'publishRatePerUser'
  | 'publishBurstPerUser'
  | 'typingRatePerConnection'
  | 'typingBurstPerConnection'
  | 'abuseRejections'
>;

/** Per-socket state, created at the socket's first limited action. */
export interface ConnLimits {
  publish: TokenBucket;
  typing: TokenBucket;
  /** Refusals in a row. */
  rejections: number;
}

export class RateLimits {
  /** Per user with sockets here: their count, and the shared publish bucket once one of them published. */
  private readonly users = new Map<string, { bucket: TokenBucket | null; sockets: number }>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly sender: Sender,
  ) {}

  forConnection(): ConnLimits {
    const c = this.config;
    return {
      publish: new TokenBucket(c.publishRatePerConnection, c.publishBurstPerConnection),
      typing: new TokenBucket(c.typingRatePerConnection, c.typingBurstPerConnection),
      rejections: 0,
    };
  }

  attach(userId: string): void {
    const user = this.users.get(userId);
    if (user) user.sockets++;
    else this.users.set(userId, { bucket: null, sockets: 1 });
  }

  detach(userId: string): void {
    const user = this.users.get(userId);
    if (user && --user.sockets === 0) this.users.delete(userId);
  }

  /**
   * Takes a token for `action`, or throws `rate_limited` (after ending the
   * socket with `rate_limit_abuse`, 1008, when it has been refused too often in a row).
   */
  take(ws: Socket, conn: Conn, action: Limited): void {
    const limits = (conn.limits ??= this.forConnection());
    let wait = limits[action].take();
    if (wait === 0 && action === 'publish') {
      const user = this.users.get(conn.principal.userId);
      if (user) wait = (user.bucket ??= new TokenBucket(this.config.publishRatePerUser, this.config.publishBurstPerUser)).take();
    }
    if (wait === 0) {
      limits.rejections = 0;
      return;
    }
    if (++limits.rejections >= this.config.abuseRejections) {
      this.sender.fail(ws, 'rate_limit_abuse', 'rate limit abuse');
    }
    throw new ParleyError('rate_limited', `${action} rate limit exceeded; retry in ${wait} ms`, { retryAfterMs: wait });
  }
}
